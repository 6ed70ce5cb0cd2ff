using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// Winograd F(4×4, 3×3)'s filter transform (U = G·g·Gᵀ of every filter, in double, rounded once), the scalar chain against eight
/// filters a 512-bit vector (<see cref="WinogradTransforms.VectorFilters"/>, the same bits), forward and turned (backward data),
/// on one thread, for ResNet-18's 64- and 512-channel layers. A training step runs it twice per Winograd layer, an inference call
/// the derived-filter cache does not serve once.
/// Run: <c>dotnet run -c Release --project benchmarks/Engine.Bench.Kernels -- --filter '*WinogradFilterTransform*'</c>.
/// </summary>
public unsafe class WinogradFilterTransformBenchmarks
{
    /// <summary>Filters and channels of the layer (square: ResNet-18's stage 1 and stage 4).</summary>
    [Params(64, 512)]
    public int Channels { get; set; }

    [Params(false, true)]
    public bool Turned { get; set; }

    private float* _w, _u;
    private bool _saved;

    [GlobalSetup]
    public void Setup()
    {
        _w = SmallGemmBenchmarks.Fill(Channels * Channels * 9, new Random(5));
        // Each benchmark sets VectorFilters on every call: the two alternate inside one process.
        _u = SmallGemmBenchmarks.Fill(WinogradTransforms.Points * Channels * Channels, new Random(6));
        _saved = WinogradTransforms.VectorFilters;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        WinogradTransforms.VectorFilters = _saved;
        NativeMemory.AlignedFree(_w);
        NativeMemory.AlignedFree(_u);
    }

    /// <summary>The scalar chain, one filter after another (the reference).</summary>
    [Benchmark(Baseline = true)]
    public void Scalar()
    {
        WinogradTransforms.VectorFilters = false;
        WinogradTransforms.Filters(_w, Channels, Channels, Turned, _u, 0, Channels);
    }

    /// <summary>Eight filters a vector where AVX-512 is (else the scalar chain again).</summary>
    [Benchmark]
    public void Vectors()
    {
        WinogradTransforms.VectorFilters = System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        WinogradTransforms.Filters(_w, Channels, Channels, Turned, _u, 0, Channels);
    }
}
