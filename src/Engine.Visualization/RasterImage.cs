using Engine.Imaging;

namespace Engine.Visualization;

/// <summary>
/// An 8-bit RGB picture built pixel by pixel and written as PNG through Engine.Imaging, so every pixel
/// of a filter or feature-map grid is exactly the value computed (no anti-aliasing or colour management).
/// </summary>
public sealed class RasterImage
{
    /// <summary>A <paramref name="width"/>×<paramref name="height"/> image filled with <paramref name="background"/> grey.</summary>
    public RasterImage(int width, int height, byte background = 255)
    {
        if (width < 1 || height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"an image needs at least one pixel, got {width}×{height}");
        }
        Width = width;
        Height = height;
        Pixels = new byte[checked(width * height * 3)];
        Pixels.AsSpan().Fill(background);
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Row-major RGB bytes, three per pixel.</summary>
    public byte[] Pixels { get; }

    /// <summary>Sets pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void Set(int x, int y, byte r, byte g, byte b)
    {
        int at = ((y * Width) + x) * 3;
        Pixels[at] = r;
        Pixels[at + 1] = g;
        Pixels[at + 2] = b;
    }

    /// <summary>The RGB of pixel (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public (byte R, byte G, byte B) Get(int x, int y)
    {
        int at = ((y * Width) + x) * 3;
        return (Pixels[at], Pixels[at + 1], Pixels[at + 2]);
    }

    /// <summary>Fills a <paramref name="zoom"/>×<paramref name="zoom"/> block whose top-left corner is (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public void Block(int x, int y, int zoom, byte r, byte g, byte b)
    {
        for (int dy = 0; dy < zoom; dy++)
        {
            for (int dx = 0; dx < zoom; dx++)
            {
                Set(x + dx, y + dy, r, g, b);
            }
        }
    }

    /// <summary>The image as PNG bytes.</summary>
    public byte[] ToPng() => ImageEncoder.Encode(new DecodedImage(Width, Height, 3, Pixels));

    /// <summary>Writes the image as PNG to <paramref name="path"/>, creating its folder.</summary>
    public void SavePng(string path)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        File.WriteAllBytes(path, ToPng());
    }
}
