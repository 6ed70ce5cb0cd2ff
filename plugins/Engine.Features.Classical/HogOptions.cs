namespace Engine.Features.Classical;

/// <summary>How HOG block histograms are normalised (scikit-image's <c>block_norm</c>, ε = 1e-5).</summary>
public enum BlockNorm
{
    /// <summary>v / (‖v‖₁ + ε).</summary>
    L1,

    /// <summary>√(v / (‖v‖₁ + ε)).</summary>
    L1Sqrt,

    /// <summary>v / √(‖v‖₂² + ε²).</summary>
    L2,

    /// <summary>L2, then clipped at 0.2, then L2 again (Dalal and Triggs' choice).</summary>
    L2Hys,
}

/// <summary>HOG parameters: orientation bins over 0–180° (unsigned gradients), square cells of
/// <paramref name="Cell"/> pixels, square blocks of <paramref name="Block"/> cells moved one cell at a time.</summary>
/// <param name="Orientations">Orientation bins.</param>
/// <param name="Cell">Pixels per cell side.</param>
/// <param name="Block">Cells per block side.</param>
/// <param name="Norm">Block normalisation.</param>
public sealed record HogOptions(int Orientations = 9, int Cell = 8, int Block = 2, BlockNorm Norm = BlockNorm.L2Hys)
{
    /// <summary>Parses <c>l1</c>, <c>l1-sqrt</c>, <c>l2</c>, <c>l2-hys</c> (any case, scikit-image's spellings too).</summary>
    public static BlockNorm ParseNorm(string text, string owner) => text.ToLowerInvariant() switch
    {
        "l1" => BlockNorm.L1,
        "l1-sqrt" or "l1_sqrt" => BlockNorm.L1Sqrt,
        "l2" => BlockNorm.L2,
        "l2-hys" or "l2_hys" => BlockNorm.L2Hys,
        _ => throw new ConfigurationException($"{owner}: block norm must be l1, l1-sqrt, l2 or l2-hys, got '{text}'"),
    };

    /// <summary>The name users write for <paramref name="norm"/>.</summary>
    public static string NormName(BlockNorm norm) => norm switch
    {
        BlockNorm.L1 => "l1",
        BlockNorm.L1Sqrt => "l1-sqrt",
        BlockNorm.L2 => "l2",
        _ => "l2-hys",
    };

    /// <summary>Cells along an axis of <paramref name="size"/> pixels (leftover pixels are ignored).</summary>
    public int Cells(int size) => size / Cell;

    /// <summary>The descriptor length of an H×W image.</summary>
    public int FeatureCount(int height, int width) =>
        Math.Max(0, Cells(height) - Block + 1) * Math.Max(0, Cells(width) - Block + 1) * Block * Block * Orientations;

    /// <summary>Throws unless the options make sense for an H×W image, naming <paramref name="owner"/> and the numbers.</summary>
    public void Check(int height, int width, string owner)
    {
        if (Orientations < 1 || Cell < 1 || Block < 1)
        {
            throw new ConfigurationException($"{owner}: orientations, cell and block must be at least 1, got {Orientations}, {Cell}, {Block}");
        }
        if (Cells(height) < Block || Cells(width) < Block)
        {
            throw new ShapeException($"{owner}: a {height}×{width} image has {Cells(height)}×{Cells(width)} cells of {Cell} pixels, fewer than one block of {Block}×{Block} cells");
        }
    }
}
