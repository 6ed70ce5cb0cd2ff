using ScottPlot;
using SkiaSharp;

namespace Engine.Visualization;

/// <summary>
/// The one place the engine touches ScottPlot: every chart starts from <see cref="Create"/> (the
/// engine's font and sizes) and ends in <see cref="Save"/> (PNG or SVG by the file's extension).
/// Charts of any kind (training curves, confusion matrices, per-class accuracy) go through here so
/// the font choice and the output rules live in one file.
/// </summary>
public static class ChartImage
{
    /// <summary>The font family charts use when the system has it (Debian's <c>fonts-dejavu-core</c>, which build.sh installs).</summary>
    public const string PreferredFont = "DejaVu Sans";

    private static readonly Lazy<string?> Font = new(FindFont);

    /// <summary>The font family in use, or null when the system has no <see cref="PreferredFont"/> (ScottPlot's default is used).</summary>
    public static string? FontFamily => Font.Value;

    /// <summary>A new plot titled <paramref name="title"/>, in the engine's font.</summary>
    public static Plot Create(string title)
    {
        var plot = new Plot();
        if (Font.Value is string family)
        {
            plot.Font.Set(family);
        }
        plot.Title(title);
        return plot;
    }

    /// <summary>Writes <paramref name="plot"/> to <paramref name="path"/>: PNG for <c>.png</c>, SVG for <c>.svg</c>.</summary>
    /// <exception cref="ConfigurationException">The extension is neither.</exception>
    public static void Save(Plot plot, string path, int width, int height)
    {
        CheckExtension(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }
        if (IsSvg(path))
        {
            plot.SaveSvg(path, width, height);
        }
        else
        {
            plot.SavePng(path, width, height);
        }
    }

    /// <summary>Throws unless <paramref name="path"/> ends in <c>.png</c> or <c>.svg</c>; lets commands check before working.</summary>
    public static void CheckExtension(string path)
    {
        string extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension is not (".png" or ".svg"))
        {
            throw new ConfigurationException($"chart file '{path}' must end in .png or .svg");
        }
    }

    private static bool IsSvg(string path) => Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase);

    // Asks Skia (through fontconfig) for the family; a fallback face of another family means it is absent.
    private static string? FindFont()
    {
        using SKTypeface? face = SKFontManager.Default.MatchFamily(PreferredFont);
        return face is not null && face.FamilyName == PreferredFont ? PreferredFont : null;
    }
}
