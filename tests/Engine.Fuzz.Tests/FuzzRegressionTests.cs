using Engine.Fuzz;

namespace Engine.Fuzz.Tests;

/// <summary>
/// Every seed of fuzz/corpus and every input the fuzzers saved in fuzz/findings (crashes since fixed)
/// goes through its parser again: each is accepted, or refused with the engine's own one-line error;
/// never another exception. A finding is kept as a regression test by leaving its file there.
/// </summary>
public sealed class FuzzRegressionTests
{
    public static TheoryData<string> Targets() => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public void SeedsAreAcceptedAndFindingsAreRefusedCleanly(string target)
    {
        string fuzz = Path.Combine(RepoPaths.Root, "fuzz");
        string[] seeds = Directory.GetFiles(Path.Combine(fuzz, "corpus", target));
        Assert.NotEmpty(seeds);
        foreach (string seed in seeds)
        {
            // The seeds are valid files: a parser that refused one would be fuzzed from error paths only.
            Assert.True(FuzzTargets.Run(target, File.ReadAllBytes(seed)) is null, $"seed {seed} was refused: {FuzzTargets.Run(target, File.ReadAllBytes(seed))}");
        }
        string findings = Path.Combine(fuzz, "findings", target);
        foreach (string input in Directory.Exists(findings) ? Directory.GetFiles(findings, "*.bin") : [])
        {
            Exception? unexpected = Record.Exception(() => FuzzTargets.Run(target, File.ReadAllBytes(input)));
            Assert.True(unexpected is null, $"{input} ({File.ReadAllText(Path.ChangeExtension(input, ".txt")).Split('\n')[0]}) still fails: {unexpected}");
        }
    }

    [Fact]
    public void MalformedInputsOfEachFormatAreEngineErrors()
    {
        // A few by hand, so the test means something even with no saved findings.
        Assert.NotNull(FuzzTargets.Run("checkpoint", "ENGCKPT\0\u0001\0\0\0\u0002\0\0\0{}"u8.ToArray()));
        Assert.NotNull(FuzzTargets.Run("idx", [0, 0, 8, 3, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 28, 0, 0, 0, 28]));
        Assert.NotNull(FuzzTargets.Run("image", [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0, 0, 13]));
        Assert.NotNull(FuzzTargets.Run("image", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        Assert.NotNull(FuzzTargets.Run("image", []));
        Assert.NotNull(FuzzTargets.Run("pgm", "P5\n99999 99999\n255\n"u8.ToArray()));
        Assert.NotNull(FuzzTargets.Run("cifar", new byte[3072]));
        Assert.NotNull(FuzzTargets.Run("model-json", "{\"name\": \"m\", \"layers\": [{\"type\": 5}]}"u8.ToArray()));
        Assert.NotNull(FuzzTargets.Run("config", "{\"epochs\": \"many\"}"u8.ToArray()));
        Assert.NotNull(FuzzTargets.Run("onnx", [0x08, 0x07, 0x12]));
        Assert.NotNull(FuzzTargets.Run("onnx", []));
    }

    [Theory]
    // A version 2 header length near 4 GiB (once an int overflow past the truncation check).
    [InlineData("version 2, header length 0xFFFFFFFF", new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, (byte)'{' })]
    public void MalformedNpyHeadersAreEngineErrors(string what, byte[] bytes)
    {
        Assert.True(FuzzTargets.Run("npy", bytes) is string, what);
    }

    [Theory]
    [InlineData("(3L,)", "dimension '3L' is not a whole number")]
    [InlineData("(99999999999,)", "dimension '99999999999' is not a whole number")]
    [InlineData("(-1,)", "dimension '-1' is not a whole number")]
    // 2^31−1 cubed wraps a 64-bit product; bounded by the data present instead.
    [InlineData("(2147483647, 2147483647, 2147483647)", "needs more bytes than any file this reader takes")]
    [InlineData("(2, 3)", "needs 24 bytes of data but the file has 8")]
    public void NpyShapesThatCannotBeTheDataAreNamed(string shape, string expected)
    {
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}\n";
        byte[] bytes = [0x93, .. "NUMPY"u8, 1, 0, (byte)header.Length, 0, .. System.Text.Encoding.ASCII.GetBytes(header), .. new byte[8]];
        Assert.Contains(expected, FuzzTargets.Run("npy", bytes));
    }
}
