namespace Engine.Cli.Tests;

/// <summary>
/// --precision bf16 / fp16 on the CPU backend: refused with one line naming the mode and the backend,
/// before any data is read (the CPU backends compute in float32 only; the modes run on the cudnn
/// backend, tested over the shim's emulator in Engine.Backend.Cudnn.Emulator.Tests).
/// </summary>
public sealed class PrecisionOptionTests
{
    private const string Refusal = "the openblas backend computes convolutions and GEMMs in float32 only; bf16 and fp16 mixed precision run on a GPU backend (--device gpu)";

    private static void AssertRefused(string precision, params string[] args)
    {
        try
        {
            var (code, output, error) = CliRunner.Run([.. args, "--device", "cpu", "--precision", precision]);
            Assert.Equal(1, code);
            Assert.Equal($"error: --precision {precision}: {Refusal}", error.TrimEnd());
            Assert.DoesNotContain("epoch 1/", output);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ENGINE_PRECISION", null); // the CLI passes it on to GPU backends
        }
    }

    [Fact]
    public void TrainRefusesBf16OnTheCpu() => AssertRefused("bf16", "train", "--data", RepoPaths.Mnist, "--limit", "640", "--epochs", "1");

    [Fact]
    public void BenchTrainRefusesFp16OnTheCpu() => AssertRefused("fp16", "bench", "train", "--model", "lenet5", "--batch", "8", "--steps", "10", "--repeat", "1");

    [Fact]
    public void EvalRefusesBf16OnTheCpu() => AssertRefused("bf16", "eval", "--checkpoint", TrainedCheckpoint.Path);

    [Fact]
    public void AnUnknownModeNamesTheAcceptedOnes()
    {
        var (code, _, error) = CliRunner.Run("train", "--data", RepoPaths.Mnist, "--precision", "fp8");
        Assert.Equal(1, code);
        Assert.Contains("fp8", error);
        Assert.Contains("bf16", error);
        Assert.Contains("fp16", error);
    }
}
