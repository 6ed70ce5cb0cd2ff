using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

public sealed class TrainConfigCommandTests(ITestOutputHelper log)
{
    [Fact]
    public void AConfigFileDrivesARunAndTheCommandLineOverridesIt()
    {
        string config = Path.Combine(Path.GetTempPath(), $"engine-train-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """{"epochs": 3, "batch-size": 50, "limit": 1000, "optimizer": {"name": "sgd", "lr": 0.05}, "seed": 2}""");
        try
        {
            var (code, output, error) = CliRunner.Run("train", "--config", config, "--data", RepoPaths.Mnist, "--epochs", "1");
            log.WriteLine(output + error);
            Assert.Equal(0, code);
            Assert.Contains("data      mnist from", output);
            Assert.Contains(": 1000 training,", output);
            Assert.Contains("training  1 epoch(s) of 20 steps, batch 50, sgd lr 0.05, schedule constant 0.05, seed 2", output);
            Assert.Single(output.Split('\n'), l => l.StartsWith("epoch ", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(config);
        }
    }
}
