using Engine.Core;

namespace Engine.Cli.Tests;

/// <summary>
/// A checkpoint whose weights are NaN: eval scores nothing correct and says how many outputs were not
/// finite; predict says its probabilities mean nothing.
/// </summary>
public sealed class NonFiniteOutputTests : IDisposable
{
    private readonly string _path = TrainedCheckpoint.TempFile(".ckpt");

    public NonFiniteOutputTests()
    {
        Checkpoint trained = Checkpoint.Read(TrainedCheckpoint.Path);
        var state = new StateDictionary();
        foreach (string name in trained.State.Names)
        {
            StateEntry entry = trained.State[name];
            if (name.StartsWith("params/", StringComparison.Ordinal) && entry.Values is float[] values)
            {
                entry = new StateEntry(entry.Shape, Enumerable.Repeat(float.NaN, values.Length).ToArray());
            }
            state.Set(name, entry);
        }
        new Checkpoint(state, trained.Metadata).Write(_path);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void EvalOfANaNCheckpointScoresZeroAndCountsEveryOutput()
    {
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", _path);
        Assert.True(code == 0, error);
        Assert.Contains("top-1       0.0000", output);
        Assert.Contains("top-5       0.0000", output);
        Assert.Contains("non-finite  10000 of 10000 outputs hold NaN or infinity (never counted correct: the model's weights or input are broken)", output);
    }

    [Fact]
    public void EvalOfAGoodCheckpointCountsNone()
    {
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", TrainedCheckpoint.Path);
        Assert.True(code == 0, error);
        Assert.Contains("non-finite  0 outputs with NaN or infinity", output);
    }

    [Fact]
    public void PredictWithANaNCheckpointSaysTheProbabilitiesMeanNothing()
    {
        var (code, output, error) = CliRunner.Run("predict", "--checkpoint", _path, "--index", "0");
        Assert.True(code == 0, error);
        Assert.Contains("non-finite  10 of 10 outputs are NaN or infinite: the probabilities below mean nothing", output);
    }
}
