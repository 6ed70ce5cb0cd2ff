using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// The products of the ResNet-size 3×3 convolutions of <c>engine bench layers</c> (one sample's
/// im2col GEMM per pass) by each kernel variant: OpenBLAS sgemm (whatever <c>OPENBLAS_CORETYPE</c>
/// selects) and the engine's own <see cref="PackedGemm"/> at 512, 256 and 128 bits. Single-threaded,
/// so the figure is per core.
/// </summary>
public unsafe class PackedGemmBenchmarks
{
    public static IEnumerable<SmallGemmBenchmarks.Product> Products() =>
    [
        new("(32,64,56,56) fwd 64x3136 k576", 64, 3136, 576, false, false),
        new("(32,64,56,56) bwd-data 576x3136 k64", 576, 3136, 64, true, false),
        new("(32,64,56,56) bwd-filter 64x576 k3136", 64, 576, 3136, false, true),
        new("(16,128,28,28) fwd 128x784 k1152", 128, 784, 1152, false, false),
        new("(16,128,28,28) bwd-data 1152x784 k128", 1152, 784, 128, true, false),
        new("(16,128,28,28) bwd-filter 128x1152 k784", 128, 1152, 784, false, true),
        new("sgemm 1024x1024 k1024", 1024, 1024, 1024, false, false),
        new("LeNet fc1 fwd 64x120 k400 (Bt)", 64, 120, 400, false, true),
        new("LeNet fc1 dW 120x400 k64 (At)", 120, 400, 64, true, false),
        new("LeNet fc2 fwd 64x84 k120 (Bt)", 64, 84, 120, false, true),
    ];

    [ParamsSource(nameof(Products))]
    public SmallGemmBenchmarks.Product Case { get; set; } = null!;

    // The operands and the OpenBLAS call are the small-GEMM benchmark's, on these products.
    private readonly SmallGemmBenchmarks _operands = new();

    [GlobalSetup]
    public void Setup()
    {
        _operands.Case = Case;
        _operands.Setup();
    }

    [GlobalCleanup]
    public void Cleanup() => _operands.Cleanup();

    [Benchmark(Baseline = true)]
    public void OpenBlas() => _operands.OpenBlas();

    [Benchmark]
    public void Packed512() => Packed<Simd512, Vector512<float>>(8);

    [Benchmark]
    public void Packed256() => Packed<Simd256, Vector256<float>>(6);

    [Benchmark]
    public void Packed128() => Packed<Simd128, Vector128<float>>(6);

    private void Packed<TS, TV>(int rows) where TS : struct, ISimdFloat<TV> where TV : struct
    {
        SmallGemmBenchmarks.Product p = Case;
        PackedGemm.Multiply<TS, TV>(rows, p.M, p.N, p.K, _operands.A, p.TransposeA ? 1 : p.K, p.TransposeA ? p.M : 1,
            _operands.B, p.TransposeB ? 1 : p.N, p.TransposeB ? p.K : 1, false, _operands.C, p.N);
    }
}
