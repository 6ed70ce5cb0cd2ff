using System.Text.RegularExpressions;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>--fallback</c> end to end: the test plugin's <c>partial</c> backend (OpenBLAS without pooling
/// and LRN, staged in artifacts/test-plugins) trains, evaluates and predicts LeNet-5 with its two
/// pooling layers on OpenBLAS, announced once each, with the numbers of a plain OpenBLAS run; with
/// <c>--fallback none</c> it is refused in one line.
/// </summary>
public sealed partial class FallbackCommandTests(ITestOutputHelper log)
{
    private const string Pool1Warning = "warning: layer 'pool1' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [6, 28, 28]; running it on openblas with copies each way";
    private const string Pool2Warning = "warning: layer 'pool2' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [16, 10, 10]; running it on openblas with copies each way";
    private const string Refusal = "error: layer 'pool1' (max_pool2d): partial does not support pooling max 2-D kernel 2×2 stride 2,2 padding 0,0/0,0 float32 [6, 28, 28] (no fallback backend: --fallback none, or no other backend to fall back to)";

    private static string TestPlugins => Path.Combine(RepoPaths.Root, "artifacts", "test-plugins");

    [Fact]
    public void TrainEvalAndPredictRunThroughTheFallbackWithTheNumbersOfOpenBlas()
    {
        string folder = Directory.CreateTempSubdirectory("engine-fallback-").FullName;
        string checkpoint = Path.Combine(folder, "lenet5.ckpt");
        var plain = Run([.. Train("openblas"), "--checkpoint", checkpoint]);
        var partial = Run(Train("partial"));
        Assert.Equal(0, plain.Code);
        Assert.Equal(0, partial.Code);
        Assert.Equal([Pool1Warning, Pool2Warning], Warnings(partial.Error));
        Assert.Empty(Warnings(plain.Error));
        Assert.Contains("61,706 parameters; 2 layer(s) on openblas (fallback)\n", partial.Output);
        Assert.Matches(@"checked   \d+ op descriptors: \d+ on partial, 2 on openblas \(fallback for 2 layer\(s\)\)", partial.Output);
        string epoch = EpochNumbers().Match(plain.Output).Value;
        Assert.StartsWith("epoch 1/1  loss 2.", epoch); // 32 steps of LeNet-5 learn a little (chance: 2.303)
        Assert.Equal(epoch, EpochNumbers().Match(partial.Output).Value);

        var evalPlain = Run("eval", "--checkpoint", checkpoint, "--device", "openblas");
        var evalPartial = Run("eval", "--checkpoint", checkpoint, "--device", "partial");
        Assert.Equal(0, evalPartial.Code);
        Assert.Equal([Pool1Warning, Pool2Warning], Warnings(evalPartial.Error));
        Assert.Equal(Without("model", evalPlain.Output), Without("model", evalPartial.Output));
        Assert.Matches(@"top-1\s+0\.[1-9]", evalPartial.Output);

        var predictPlain = Run("predict", "--checkpoint", checkpoint, "--index", "3", "--device", "openblas");
        var predictPartial = Run("predict", "--checkpoint", checkpoint, "--index", "3", "--device", "partial", "--fallback", "cpu");
        Assert.Equal(0, predictPartial.Code);
        Assert.Equal(2, Warnings(predictPartial.Error).Length);
        Assert.Equal(Without("model", predictPlain.Output), Without("model", predictPartial.Output));
    }

    [Fact]
    public void FallbackNoneRefusesTheLayerInOneLineNamingOpShapeAndBackend()
    {
        var train = Run([.. Train("partial"), "--fallback", "none"]);
        Assert.Equal(1, train.Code);
        Assert.Equal(Refusal, train.Error.Trim());
        Assert.DoesNotContain("training  ", train.Output);

        string folder = Directory.CreateTempSubdirectory("engine-fallback-").FullName;
        string checkpoint = Path.Combine(folder, "mlp.ckpt");
        Assert.Equal(0, Run("train", "--data", RepoPaths.Mnist, "--limit", "64", "--no-progress", "--checkpoint", checkpoint).Code);
        var eval = Run("eval", "--checkpoint", checkpoint, "--model", "lenet5", "--device", "partial", "--fallback", "none");
        Assert.Equal(1, eval.Code);
        Assert.Equal(Refusal, eval.Error.Trim());
    }

    [Fact]
    public void AFallbackThatIsTheMainBackendOrUnknownIsRefusedNamingTheValue()
    {
        var same = Run([.. Train("partial"), "--fallback", "partial"]);
        Assert.Equal(1, same.Code);
        Assert.Equal("error: --fallback partial: that is the main backend (--device); give another backend, cpu or none", same.Error.Trim());
        var unknown = Run([.. Train("partial"), "--fallback", "tpu"]);
        Assert.Equal(1, unknown.Code);
        Assert.StartsWith("error: --fallback tpu: unknown backend or device 'tpu'", unknown.Error.Trim());
    }

    [Fact]
    public void ABackendThatClaimsAnOpAndThrowsIsReportedAsItsFailureNamingTheOp()
    {
        var train = Run(Train("faulty"));
        Assert.Equal(1, train.Code);
        Assert.Equal(
            "error: backend FaultyBackend failed in its PoolingForward op, which it claims to support: NotSupportedException: pooling kernel not compiled for this device " +
            "(a fault of the backend plugin, not of the input; 'engine check-backend NAME' runs every op it claims)",
            train.Error.Trim());
        Assert.DoesNotContain("   at ", train.Error); // no stack trace

        var check = Run("check-backend", "faulty", "--filter", "pooling max", "--hide-skipped");
        Assert.Equal(1, check.Code);
        Assert.Contains("FAIL  pooling max", check.Output);
        Assert.Contains("threw NotSupportedException: pooling kernel not compiled for this device", check.Output);
    }

    private static string[] Train(string device) =>
        ["train", "--model", "lenet5", "--data", RepoPaths.Mnist, "--limit", "512", "--epochs", "1", "--batch-size", "16", "--lr", "0.1", "--momentum", "0.9", "--seed", "5", "--no-progress", "--device", device];

    private (int Code, string Output, string Error) Run(params string[] args)
    {
        var (code, output, error) = CliRunner.Run([.. args, "--plugins", TestPlugins]);
        log.WriteLine($"$ engine {string.Join(' ', args)}\n{output}{error}");
        return (code, output.ReplaceLineEndings("\n"), error.ReplaceLineEndings("\n"));
    }

    private static string[] Warnings(string error) => error.Split('\n').Where(l => l.StartsWith("warning: ", StringComparison.Ordinal)).ToArray();

    private static string Without(string key, string output) => string.Join('\n', output.Split('\n').Where(l => !l.StartsWith(key + " ", StringComparison.Ordinal)));

    [GeneratedRegex(@"epoch 1/1  loss \S+  train acc \S+  test acc \S+")]
    private static partial Regex EpochNumbers();
}
