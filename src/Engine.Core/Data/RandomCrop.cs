using System.Buffers;

namespace Engine.Core;

/// <summary>
/// Pads the sample with <see cref="Padding"/> zeros on every side and crops a window of the original
/// size at a uniformly random position (the CIFAR "pad 4, crop 32" augmentation). Spec: <c>crop=PAD</c>.
/// </summary>
public sealed class RandomCrop : SampleTransform
{
    /// <summary>Crops after padding by <paramref name="padding"/> pixels (0 or more).</summary>
    public RandomCrop(int padding)
    {
        if (padding < 0)
        {
            throw new ConfigurationException($"augmentation 'crop': padding {padding} must be 0 or more");
        }
        Padding = padding;
    }

    /// <summary>Zero pixels added on each side before cropping.</summary>
    public int Padding { get; }

    /// <inheritdoc/>
    public override string Name => "crop";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => $"crop={Padding}";

    /// <inheritdoc/>
    public override void Check(Shape shape)
    {
        base.Check(shape);
        // Padding of at least the image's size lets the window miss the image entirely: blank samples.
        int smaller = Math.Min(shape[^1], shape[^2]);
        if (Padding >= smaller)
        {
            throw new ConfigurationException($"augmentation 'crop={Padding}': padding must be smaller than the {shape[^2]}×{shape[^1]} image, or crops would hold no image at all (crop=4 is usual for 32×32)");
        }
    }

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        int top = random.Integer(0, 2 * Padding);
        int left = random.Integer(0, 2 * Padding);
        if (top == Padding && left == Padding)
        {
            return; // the window is the original image
        }
        float[] copy = ArrayPool<float>.Shared.Rent(sample.Length);
        try
        {
            sample.CopyTo(copy);
            Crop(copy.AsSpan(0, sample.Length), sample, shape, Padding, top, left);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// Writes the H×W window at (<paramref name="top"/>, <paramref name="left"/>) of <paramref name="source"/>
    /// padded by <paramref name="padding"/> zeros on each side: destination[y, x] = source[y + top − padding,
    /// x + left − padding], or 0 outside the source.
    /// </summary>
    public static void Crop(ReadOnlySpan<float> source, Span<float> destination, Shape shape, int padding, int top, int left)
    {
        int channels = shape[0], height = shape[1], width = shape[2];
        int dy = top - padding, dx = left - padding;
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < height; y++)
            {
                Span<float> row = destination.Slice((c * height + y) * width, width);
                int sy = y + dy;
                if (sy < 0 || sy >= height)
                {
                    row.Clear();
                    continue;
                }
                ReadOnlySpan<float> sourceRow = source.Slice((c * height + sy) * width, width);
                for (int x = 0; x < width; x++)
                {
                    int sx = x + dx;
                    row[x] = sx >= 0 && sx < width ? sourceRow[sx] : 0f;
                }
            }
        }
    }
}
