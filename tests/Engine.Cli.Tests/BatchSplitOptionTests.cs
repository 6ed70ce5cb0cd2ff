using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary><c>engine train --batch-split</c>: one error line for a value or model it cannot take.</summary>
public sealed class BatchSplitOptionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("engine-batch-split-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ABadValueIsNamed()
    {
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--batch-split", "sometimes");
        Assert.Equal(1, code);
        Assert.Equal("error: --batch-split must be auto, on or off, got 'sometimes'", error.TrimEnd());
    }

    [Fact]
    public void OnIsRefusedForAModelWithBatchNormalisation()
    {
        string model = Path.Combine(_folder, "bn.json");
        File.WriteAllText(model, """
            {"name": "bn-net", "layers": [{"type": "conv2d", "filters": 4, "kernel": 5, "stride": 2}, {"type": "batch_norm"},
              {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 10}]}
            """);
        var (code, _, error) = CliRunner.Run("train", "--model", model, "--data", RepoPaths.Mnist, "--limit", "64", "--batch-split", "on");
        Assert.Equal(1, code);
        Assert.Equal("error: --batch-split on: model 'bn-net' cannot split its batches: layer 'batch_norm1' (batch_norm) normalises over the batch, which a split would change",
            error.TrimEnd());
    }
}
