using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>engine features hog --input X.npy --output F.npy</c>: HOG descriptors of N×1×H×W, N×3×H×W or
/// N×H×W float32 images in [0, 1] (colour made grey with the luma weights), written as N×F float32,
/// through the <c>hog</c> layer of the classical-features plugin.
/// </summary>
internal static class FeaturesCommand
{
    private static readonly Option<string> InputFile = new("--input") { Description = "A .npy of float32 images: N×H×W, N×1×H×W or N×3×H×W, values in [0, 1]", Required = true };
    private static readonly Option<string> OutputFile = new("--output") { Description = "The .npy to write: N×F float32 features", Required = true };
    private static readonly Option<int> Orientations = new("--orientations") { Description = "Orientation bins over 0–180°", DefaultValueFactory = _ => 9 };
    private static readonly Option<int> Cell = new("--cell") { Description = "Pixels per cell side", DefaultValueFactory = _ => 8 };
    private static readonly Option<int> Block = new("--block") { Description = "Cells per block side", DefaultValueFactory = _ => 2 };
    private static readonly Option<string> BlockNorm = new("--block-norm") { Description = "l2-hys, l2, l1 or l1-sqrt", DefaultValueFactory = _ => "l2-hys" };

    public static Command Create(TextWriter output, TextWriter error)
    {
        var hog = new Command("hog", "HOG descriptors (as skimage.feature.hog) of a .npy of images")
        {
            InputFile, OutputFile, Orientations, Cell, Block, BlockNorm,
        };
        hog.SetAction(result => EngineCli.Guard(error, () => RunHog(result, output)));
        return new Command("features", "Hand-crafted features of images") { hog };
    }

    /// <summary>The model of one <c>hog</c> layer with these arguments.</summary>
    internal static ModelSpec HogSpec(int orientations, int cell, int block, string norm) =>
        new("hog", [new LayerSpec("hog", new JsonObject { ["orientations"] = orientations, ["cell"] = cell, ["block"] = block, ["block_norm"] = norm }, "hog")]);

    private static int RunHog(ParseResult result, TextWriter output)
    {
        string inputPath = result.GetValue(InputFile)!, outputPath = result.GetValue(OutputFile)!;
        (int[] dims, float[] values) = NpyFile.ReadFloat32(inputPath);
        Shape sample = dims.Length switch
        {
            3 => new Shape(1, dims[1], dims[2]),
            4 when dims[1] is 1 or 3 => new Shape(dims[1], dims[2], dims[3]),
            _ => throw new DataFormatException(inputPath, $"holds an array of shape ({string.Join(", ", dims)}); HOG takes N×H×W, N×1×H×W or N×3×H×W images"),
        };
        int count = dims[0];
        var hostOptions = new EngineHostOptions();
        hostOptions.PluginFolders.AddRange(result.GetValue(EngineCli.PluginFolders) ?? []);
        using EngineHost host = CliHost.Create(hostOptions);
        using IBackend backend = host.CreateBackend("cpu");
        ModelSpec spec = HogSpec(result.GetValue(Orientations), result.GetValue(Cell), result.GetValue(Block), result.GetValue(BlockNorm)!);
        using var extractor = new FeatureExtractor(host, backend, spec, sample);
        int size = checked((int)sample.ElementCount);
        var clock = Stopwatch.StartNew();
        float[] features = extractor.Extract(count, (i, destination) => values.AsSpan(i * size, size).CopyTo(destination));
        NpyFile.WriteFloat32(outputPath, [count, extractor.FeatureCount], features);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hog       {count} image(s) of {EvalCommand.Dims(sample)} → {extractor.FeatureCount} features each ({result.GetValue(Orientations)} orientations, cell {result.GetValue(Cell)}, block {result.GetValue(Block)}, {result.GetValue(BlockNorm)}) in {clock.Elapsed.TotalSeconds:F2} s"));
        output.WriteLine($"written   {outputPath} ({count}×{extractor.FeatureCount} float32)");
        return 0;
    }
}
