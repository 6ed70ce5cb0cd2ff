namespace Engine.Datasets.Cifar;

/// <summary>
/// The fixed-size record of a CIFAR binary file: <see cref="LabelBytes"/> label bytes (CIFAR-10: one;
/// CIFAR-100: coarse then fine) followed by 3072 pixel bytes, the red, green and blue 32×32 planes
/// in row-major order, which is already the engine's C×H×W layout.
/// </summary>
/// <param name="LabelBytes">Label bytes at the start of each record.</param>
/// <param name="LabelIndex">Which of them is the label used (0-based).</param>
/// <param name="ClassCount">Labels must be below this.</param>
public sealed record CifarRecordLayout(int LabelBytes, int LabelIndex, int ClassCount)
{
    /// <summary>Pixel bytes per record: 3 channels of 32×32.</summary>
    public const int PixelBytes = 3 * 32 * 32;

    /// <summary>The per-sample shape, C×H×W.</summary>
    public static Shape SampleShape { get; } = new(3, 32, 32);

    /// <summary>Bytes per record.</summary>
    public int RecordSize => LabelBytes + PixelBytes;
}
