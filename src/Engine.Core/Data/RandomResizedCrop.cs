using System.Buffers;

namespace Engine.Core;

/// <summary>
/// Crops a random region whose area is a uniform fraction of the image in <see cref="ScaleMin"/>–<see cref="ScaleMax"/>
/// and whose aspect ratio (width/height) is log-uniform in <see cref="RatioMin"/>–<see cref="RatioMax"/>, then
/// resizes it bilinearly back to the original size (the Inception-style crop). Up to ten draws look for
/// a region that fits; failing that, the largest centred region within the ratio range is used.
/// Spec: <c>resized-crop</c> (scale 0.08/1, ratio 0.75/1.333) or <c>resized-crop=SMIN/SMAX:RMIN/RMAX</c>.
/// </summary>
public sealed class RandomResizedCrop : SampleTransform
{
    /// <summary>Creates the crop with area fractions [scaleMin, scaleMax] ⊆ (0, 1] and ratios [ratioMin, ratioMax] ⊂ (0, ∞).</summary>
    public RandomResizedCrop(double scaleMin = 0.08, double scaleMax = 1, double ratioMin = 0.75, double ratioMax = 4.0 / 3)
    {
        if (!(scaleMin > 0 && scaleMin <= scaleMax && scaleMax <= 1))
        {
            throw new ConfigurationException($"augmentation 'resized-crop': scale {scaleMin}/{scaleMax} must satisfy 0 < min <= max <= 1");
        }
        if (!(ratioMin > 0 && ratioMin <= ratioMax && double.IsFinite(ratioMax)))
        {
            throw new ConfigurationException($"augmentation 'resized-crop': ratio {ratioMin}/{ratioMax} must satisfy 0 < min <= max");
        }
        (ScaleMin, ScaleMax, RatioMin, RatioMax) = (scaleMin, scaleMax, ratioMin, ratioMax);
    }

    /// <summary>Smallest area fraction.</summary>
    public double ScaleMin { get; }

    /// <summary>Largest area fraction.</summary>
    public double ScaleMax { get; }

    /// <summary>Smallest width/height ratio.</summary>
    public double RatioMin { get; }

    /// <summary>Largest width/height ratio.</summary>
    public double RatioMax { get; }

    /// <inheritdoc/>
    public override string Name => "resized-crop";

    /// <inheritdoc/>
    public override bool IsRandom => true;

    /// <inheritdoc/>
    public override string Spec => $"resized-crop={Format(ScaleMin)}/{Format(ScaleMax)}:{Format(RatioMin)}/{Format(RatioMax)}";

    /// <inheritdoc/>
    public override void Apply(Span<float> sample, Shape shape, ref SampleRandom random)
    {
        int height = shape[1], width = shape[2];
        var (top, left, h, w) = ChooseRegion(height, width, ref random);
        float[] copy = ArrayPool<float>.Shared.Rent(sample.Length);
        try
        {
            sample.CopyTo(copy);
            BilinearResize.Region(copy.AsSpan(0, sample.Length), shape[0], height, width, top, left, h, w, sample, height, width);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(copy);
        }
    }

    /// <summary>The region (top, left, height, width) in whole pixels that a draw from <paramref name="random"/> selects.</summary>
    public (int Top, int Left, int Height, int Width) ChooseRegion(int height, int width, ref SampleRandom random)
    {
        double area = (double)height * width;
        double logMin = Math.Log(RatioMin), logMax = Math.Log(RatioMax);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double target = area * random.Uniform(ScaleMin, ScaleMax);
            double ratio = Math.Exp(random.Uniform(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(target * ratio));
            int h = (int)Math.Round(Math.Sqrt(target / ratio));
            if (w >= 1 && h >= 1 && w <= width && h <= height)
            {
                return (random.Integer(0, height - h), random.Integer(0, width - w), h, w);
            }
        }
        // Fallback: the whole image, narrowed to the nearest allowed ratio.
        double imageRatio = (double)width / height;
        int cw = width, chh = height;
        if (imageRatio < RatioMin)
        {
            chh = Math.Max(1, (int)Math.Round(width / RatioMin));
        }
        else if (imageRatio > RatioMax)
        {
            cw = Math.Max(1, (int)Math.Round(height * RatioMax));
        }
        return ((height - chh) / 2, (width - cw) / 2, chh, cw);
    }
}
