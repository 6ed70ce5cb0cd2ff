namespace Engine.Core;

/// <summary>
/// The test-time "10-crop" of AlexNet: the four corner crops and the centre crop of a sample, then
/// the same five mirrored left–right.
/// </summary>
public static class TenCrop
{
    /// <summary>Crops per sample.</summary>
    public const int Count = 10;

    /// <summary>
    /// Writes the ten C×<paramref name="cropHeight"/>×<paramref name="cropWidth"/> crops of
    /// <paramref name="sample"/> one after another into <paramref name="destination"/>, in the order
    /// top-left, top-right, bottom-left, bottom-right, centre (top = ⌊(H − h)/2⌋, left = ⌊(W − w)/2⌋),
    /// then those five mirrored.
    /// </summary>
    public static void Extract(ReadOnlySpan<float> sample, Shape shape, int cropHeight, int cropWidth, Span<float> destination)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        if (cropHeight < 1 || cropWidth < 1 || cropHeight > height || cropWidth > width)
        {
            throw new ArgumentOutOfRangeException(nameof(cropHeight), $"a {cropHeight}x{cropWidth} crop does not fit samples of {shape}");
        }
        int cropSize = channels * cropHeight * cropWidth;
        if (destination.Length < Count * cropSize)
        {
            throw new ArgumentException($"destination holds {destination.Length} values; ten crops need {Count * cropSize}", nameof(destination));
        }
        ReadOnlySpan<(int Top, int Left)> corners =
        [
            (0, 0), (0, width - cropWidth), (height - cropHeight, 0), (height - cropHeight, width - cropWidth),
            ((height - cropHeight) / 2, (width - cropWidth) / 2),
        ];
        var cropShape = new Shape(channels, cropHeight, cropWidth);
        for (int k = 0; k < corners.Length; k++)
        {
            Span<float> crop = destination.Slice(k * cropSize, cropSize);
            for (int c = 0; c < channels; c++)
            {
                for (int y = 0; y < cropHeight; y++)
                {
                    sample.Slice((c * height + corners[k].Top + y) * width + corners[k].Left, cropWidth)
                        .CopyTo(crop.Slice((c * cropHeight + y) * cropWidth, cropWidth));
                }
            }
            Span<float> mirror = destination.Slice((k + 5) * cropSize, cropSize);
            crop.CopyTo(mirror);
            HorizontalFlip.Flip(mirror, cropShape);
        }
    }
}
