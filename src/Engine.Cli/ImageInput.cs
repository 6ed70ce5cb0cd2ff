using Engine.Core;
using Engine.Imaging;

namespace Engine.Cli;

/// <summary>An image file turned into one network input sample, and what was done to it on the way.</summary>
/// <param name="Sample">Floats C×H×W in [0, 1], in the network's input shape.</param>
/// <param name="Description">The file, its size and colour, e.g. <c>digit.png (28×28 grey)</c>.</param>
/// <param name="Resized">E.g. <c>40×30 → 28×28 (bilinear)</c>, or null when the size already fit.</param>
internal sealed record ImageInput(float[] Sample, string Description, string? Resized)
{
    /// <summary>
    /// Decodes <paramref name="path"/> (any format <see cref="ImageDecoder"/> reads, upright by its EXIF tag), converts it to the channels of
    /// <paramref name="inputShape"/> (grey ↔ RGB, alpha dropped), scales bytes to [0, 1] as the data
    /// sets do, and resizes bilinearly when its size differs from the input's.
    /// </summary>
    public static ImageInput Load(string path, Shape inputShape)
    {
        if (inputShape.Rank != 3 || inputShape[0] is not (1 or 3))
        {
            throw new ConfigurationException($"--image needs a model whose input is 1 or 3 channels × height × width, but it takes {EvalCommand.Dims(inputShape)}");
        }
        int channels = inputShape[0], height = inputShape[1], width = inputShape[2];
        DecodedImage image = ImageDecoder.Load(path);
        float[] planar = ImageConversion.ToPlanarFloats(image, channels);
        string description = $"{path} ({image.Width}×{image.Height} {(image.ColourChannels == 1 ? "grey" : "RGB")}{(image.HasAlpha ? " with alpha, dropped" : "")})";
        if (image.Height == height && image.Width == width)
        {
            return new ImageInput(planar, description, null);
        }
        var resized = new float[channels * height * width];
        BilinearResize.Resize(planar, channels, image.Height, image.Width, resized, height, width);
        return new ImageInput(resized, description, $"{image.Width}×{image.Height} → {width}×{height} (bilinear), the model's input size");
    }
}
