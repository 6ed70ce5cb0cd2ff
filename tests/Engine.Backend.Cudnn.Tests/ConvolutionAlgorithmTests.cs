using System.Runtime.CompilerServices;

namespace Engine.Backend.Cudnn.Tests;

/// <summary>
/// The measured convolution-algorithm choice without a GPU: which candidate wins under a workspace
/// budget and in deterministic mode, one measurement per shape, the settings from the environment,
/// and the candidate struct's layout against the shim's ecud_algorithm.
/// </summary>
public sealed class ConvolutionAlgorithmTests
{
    private static ConvolutionAlgorithm Candidate(int algo, float ms, long workspace, bool deterministic = true, int math = 0, int status = 0) =>
        new() { Algo = algo, TimeMs = ms, Workspace = (nuint)workspace, Deterministic = deterministic ? 1 : 0, Math = math, Status = status };

    [Fact]
    public void TheFastestCandidateThatRanAndFitsTheBudgetWins()
    {
        ConvolutionAlgorithm[] candidates =
        [
            Candidate(6, 0.5f, 4096), Candidate(4, 0.4f, 1 << 20, status: 3000), Candidate(1, 0.8f, 512), Candidate(0, 1.0f, 0),
        ];
        Assert.Equal(6, ConvolutionAlgorithms.Choose(0, candidates, 1 << 30, deterministic: false)!.Value.Algo);
        Assert.Equal(1, ConvolutionAlgorithms.Choose(0, candidates, 4095, deterministic: false)!.Value.Algo);
        Assert.Equal(0, ConvolutionAlgorithms.Choose(0, candidates, 0, deterministic: false)!.Value.Algo);
        Assert.Null(ConvolutionAlgorithms.Choose(0, candidates[..2], 100, deterministic: false));
    }

    [Fact]
    public void DeterministicModeKeepsDeterministicPlainFloatAlgorithmsOnly()
    {
        // Forward candidates: DIRECT, IMPLICIT_PRECOMP_GEMM (tensor-op math), GEMM (FMA math), IMPLICIT_GEMM.
        ConvolutionAlgorithm[] candidates =
        [
            Candidate(3, 0.3f, 0, deterministic: false), Candidate(1, 0.35f, 0, math: 1), Candidate(2, 0.5f, 0, math: 3), Candidate(0, 0.9f, 0),
        ];
        Assert.Equal(3, ConvolutionAlgorithms.Choose(0, candidates, 1 << 20, deterministic: false)!.Value.Algo);
        // Not DIRECT (not deterministic) nor PRECOMP_GEMM (tensor-op math: TF32 products): FMA math is plain float.
        Assert.Equal(2, ConvolutionAlgorithms.Choose(0, candidates, 1 << 20, deterministic: true)!.Value.Algo);
        Assert.Null(ConvolutionAlgorithms.Choose(0, candidates[..2], 1 << 20, deterministic: true));
    }

    [Fact]
    public void DeterministicModeLeavesOutFftAndWinograd()
    {
        // GPU run 5, strict: a backward-filter FFT gave a tap that never overlaps the input 1.64e-4, not 0.
        ConvolutionAlgorithm[] filter = [Candidate(6, 0.2f, 0), Candidate(5, 0.3f, 0), Candidate(3, 0.4f, 0), Candidate(1, 0.9f, 0)];
        Assert.Equal(6, ConvolutionAlgorithms.Choose(2, filter, 1 << 20, deterministic: false)!.Value.Algo);
        Assert.Equal(3, ConvolutionAlgorithms.Choose(2, filter, 1 << 20, deterministic: true)!.Value.Algo); // ALGO_3, not FFT_TILING nor WINOGRAD_NONFUSED
        ConvolutionAlgorithm[] data = [Candidate(3, 0.2f, 0), Candidate(2, 0.3f, 0), Candidate(4, 0.3f, 0), Candidate(5, 0.3f, 0), Candidate(1, 0.9f, 0)];
        Assert.Equal(1, ConvolutionAlgorithms.Choose(1, data, 1 << 20, deterministic: true)!.Value.Algo);
        ConvolutionAlgorithm[] forward = [Candidate(7, 0.1f, 0), Candidate(6, 0.2f, 0), Candidate(5, 0.3f, 0), Candidate(4, 0.4f, 0), Candidate(0, 0.9f, 0)];
        Assert.Equal(0, ConvolutionAlgorithms.Choose(0, forward, 1 << 20, deterministic: true)!.Value.Algo);
        Assert.Equal([true, true, true, true, false, false, false, false], Enumerable.Range(0, 8).Select(a => ConvolutionAlgorithms.PlainSum(0, a)));
        Assert.Equal([true, true, false, false, false, false], Enumerable.Range(0, 6).Select(a => ConvolutionAlgorithms.PlainSum(1, a)));
        Assert.Equal([true, true, false, true, false, false, false], Enumerable.Range(0, 7).Select(a => ConvolutionAlgorithms.PlainSum(2, a)));
    }

    [Fact]
    public unsafe void EachShapeIsMeasuredOnceAndNothingUsableFallsBackToTheHeuristics()
    {
        var algorithms = new ConvolutionAlgorithms(1 << 20, deterministic: false);
        int* x = stackalloc int[] { 8, 3, 32, 32, 0 }, w = stackalloc int[] { 16, 3, 3, 3, 0 }, y = stackalloc int[] { 8, 16, 32, 32, 0 };
        int* one = stackalloc int[] { 1, 1, 1 };
        ConvolutionKey forward = ConvolutionKey.Create(0, 0, 0, 1, 2, x, w, y, one, one, one);
        ConvolutionKey forwardBf16 = ConvolutionKey.Create(0, 0, 2, 1, 2, x, w, y, one, one, one);
        ConvolutionKey again = ConvolutionKey.Create(0, 0, 0, 1, 2, x, w, y, one, one, one);
        Assert.Equal(forward, again);
        Assert.Equal(forward.GetHashCode(), again.GetHashCode());
        Assert.NotEqual(forward, forwardBf16);

        Assert.False(algorithms.TryGet(forward, out _));
        Assert.Equal(6, algorithms.Record(forward, [Candidate(0, 2f, 0), Candidate(6, 1f, 4096)]).Algo);
        Assert.True(algorithms.TryGet(again, out ConvolutionAlgorithm known));
        Assert.Equal(6, known.Algo);
        Assert.False(algorithms.TryGet(forwardBf16, out _)); // each precision measures its own
        Assert.Equal(-1, algorithms.Record(forwardBf16, [Candidate(6, 1f, 1 << 21)]).Algo); // over the budget: heuristics
        Assert.True(algorithms.TryGet(forwardBf16, out ConvolutionAlgorithm fallback));
        Assert.Equal(ConvolutionAlgorithms.Heuristic.Algo, fallback.Algo);
        Assert.Equal(2, algorithms.Finds);
        Assert.Equal(2, algorithms.Count);
    }

    [Fact]
    public void TheEnvironmentChoosesTheModeAndTheBudget()
    {
        string? mode = Environment.GetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable);
        string? budget = Environment.GetEnvironmentVariable(ConvolutionAlgorithms.WorkspaceVariable);
        try
        {
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, null);
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.WorkspaceVariable, null);
            Assert.Equal(1024L << 20, ConvolutionAlgorithms.FromEnvironment(deterministic: false)!.WorkspaceBudget);
            // Strict precision: cuDNN's heuristics unless measured algorithms are asked for.
            Assert.Null(ConvolutionAlgorithms.FromEnvironment(deterministic: true));
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, "measured");
            ConvolutionAlgorithms strict = ConvolutionAlgorithms.FromEnvironment(deterministic: true)!;
            Assert.True(strict.Deterministic);
            Assert.Equal("convolution algorithms measured once per shape (cudnnFind) within a 1024 MiB workspace, deterministic plain sums only", strict.Describe());
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, null);

            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.WorkspaceVariable, "64");
            Assert.Equal(64L << 20, ConvolutionAlgorithms.FromEnvironment(false)!.WorkspaceBudget);
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.WorkspaceVariable, "lots");
            var e = Assert.Throws<BackendException>(() => ConvolutionAlgorithms.FromEnvironment(false));
            Assert.Equal("ENGINE_CUDNN_WORKSPACE_MB=lots: give the workspace limit in MiB, 0 to 1048576", e.Message);

            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, "heuristic");
            Assert.Null(ConvolutionAlgorithms.FromEnvironment(false));
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, "fastest");
            e = Assert.Throws<BackendException>(() => ConvolutionAlgorithms.FromEnvironment(false));
            Assert.Equal("ENGINE_CUDNN_ALGORITHMS=fastest: give measured or heuristic", e.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.ModeVariable, mode);
            Environment.SetEnvironmentVariable(ConvolutionAlgorithms.WorkspaceVariable, budget);
        }
    }

    [Fact]
    public void TheCandidateHasTheShimsLayout()
    {
        // ecud_algorithm: size_t workspace; int algo, status; float time_ms; int deterministic, math, reserved.
        Assert.Equal(IntPtr.Size == 8 ? 32 : 28, Unsafe.SizeOf<ConvolutionAlgorithm>());
        var c = Candidate(7, 1.5f, 1234);
        Span<byte> bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<ConvolutionAlgorithm>(ref c));
        Assert.Equal(7, BitConverter.ToInt32(bytes[IntPtr.Size..]));
        Assert.Equal(1.5f, BitConverter.ToSingle(bytes[(IntPtr.Size + 8)..]));
    }
}
