using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// One product per LeNet-5 convolution pass (batch sample: the per-sample GEMM the convolution
/// kernel makes), by each kernel variant: OpenBLAS sgemm (the reference path) and the engine's own
/// <see cref="SmallGemm"/> at 512, 256 and 128 bits. Single-threaded, so the figure is per core.
/// </summary>
[MemoryDiagnoser]
public unsafe class SmallGemmBenchmarks
{
    /// <summary>The product: name (m×n, depth k) and which operand is transposed.</summary>
    public sealed record Product(string Name, int M, int N, int K, bool TransposeA, bool TransposeB)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Product> Products() =>
    [
        new("conv1 fwd 6x784 k25", 6, 784, 25, false, false),
        new("conv2 fwd 16x100 k150", 16, 100, 150, false, false),
        new("conv2 bwd-data 150x100 k16", 150, 100, 16, true, false),
        new("conv1 bwd-filter 6x25 k784", 6, 25, 784, false, true),
        new("conv2 bwd-filter 16x150 k100", 16, 150, 100, false, true),
        new("conv2 bwd-filter 4 samples k400", 16, 150, 400, false, true),
        new("3x3 c3 fwd 32x1024 k27", 32, 1024, 27, false, false),
        new("3x3 c3 bwd-data 27x1024 k32", 27, 1024, 32, true, false),
    ];

    [ParamsSource(nameof(Products))]
    public Product Case { get; set; } = null!;

    private float* _a, _b, _c;
    private OpenBlasBackend? _backend;

    /// <summary>The operands after <see cref="Setup"/> (A m×k, B k×n, C m×n; other benchmarks reuse them).</summary>
    internal float* A => _a;
    internal float* B => _b;
    internal float* C => _c;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new OpenBlasBackend(); // loads OpenBLAS
        var rng = new Random(1);
        _a = Fill(Case.M * Case.K, rng);
        _b = Fill(Case.K * Case.N, rng);
        _c = Fill(Case.M * Case.N, rng);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_a);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_b);
        System.Runtime.InteropServices.NativeMemory.AlignedFree(_c);
        _backend?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void OpenBlas()
    {
        Product p = Case;
        OpenBlasNative.Sgemm(OpenBlasNative.RowMajor, p.TransposeA ? OpenBlasNative.Trans : OpenBlasNative.NoTrans,
            p.TransposeB ? OpenBlasNative.Trans : OpenBlasNative.NoTrans, p.M, p.N, p.K,
            1f, _a, p.TransposeA ? p.M : p.K, _b, p.TransposeB ? p.K : p.N, 0f, _c, p.N);
    }

    [Benchmark]
    public void Own512() => Own<Simd512, Vector512<float>>();

    [Benchmark]
    public void Own256() => Own<Simd256, Vector256<float>>();

    [Benchmark]
    public void Own128() => Own<Simd128, Vector128<float>>();

    private void Own<TS, TV>() where TS : struct, ISimdFloat<TV> where TV : struct
    {
        Product p = Case;
        if (p.TransposeB)
        {
            SmallGemm.MultiplyTransposedB<TS, TV>(p.M, p.N, p.K, _a, p.K, _b, p.K, false, _c, p.N);
        }
        else
        {
            SmallGemm.Multiply<TS, TV>(p.M, p.N, p.K, _a, p.TransposeA ? 1 : p.K, p.TransposeA ? p.M : 1, _b, p.N, false, _c, p.N);
        }
    }

    internal static float* Fill(int count, Random rng)
    {
        var p = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        for (int i = 0; i < count; i++)
        {
            p[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return p;
    }
}
