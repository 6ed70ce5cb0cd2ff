using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The engine's own packed GEMM (<see cref="PackedGemm"/>) at each vector width and tile height
/// against the plain fused-multiply-add loop, bit for bit, on shapes that cross every blocking edge
/// (partial tiles, several depth steps, row and column blocks); and the ResNet-style convolution
/// passes that use it against the same passes on OpenBLAS.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class PackedGemmTests : IDisposable
{
    private readonly int _bits = PackedGemm.Bits;
    private readonly bool? _rowBackward = RowFilterConvolution.BackwardDataForced;
    private readonly bool? _rowFilterGradient = RowFilterConvolution.FilterGradientForced;

    // The convolution passes here are those of the column path (im2col + GEMM + col2im), which the packed GEMM runs at
    // every width: the row × filter backward data and filter gradient (512 bits only, another summation order) are tested on their own.
    public PackedGemmTests()
    {
        RowFilterConvolution.BackwardDataForced = false;
        RowFilterConvolution.FilterGradientForced = false;
    }

    public void Dispose()
    {
        PackedGemm.Bits = _bits;
        RowFilterConvolution.BackwardDataForced = _rowBackward;
        RowFilterConvolution.FilterGradientForced = _rowFilterGradient;
    }

    private delegate void MultiplyAt(int m, int n, int k, float* a, long aRow, long aCol, float* b, long bRow, long bCol, bool accumulate, float* c, long ldc);

    // Every width with the tile height it runs natively, and the 8-row tile at the narrower widths too.
    private static readonly (string Name, MultiplyAt Multiply)[] Variants =
    [
        ("512x8", (m, n, k, a, ar, ac, b, br, bc, acc, c, ldc) => PackedGemm.Multiply<Simd512, Vector512<float>>(8, m, n, k, a, ar, ac, b, br, bc, acc, c, ldc)),
        ("512x6", (m, n, k, a, ar, ac, b, br, bc, acc, c, ldc) => PackedGemm.Multiply<Simd512, Vector512<float>>(6, m, n, k, a, ar, ac, b, br, bc, acc, c, ldc)),
        ("256x6", (m, n, k, a, ar, ac, b, br, bc, acc, c, ldc) => PackedGemm.Multiply<Simd256, Vector256<float>>(6, m, n, k, a, ar, ac, b, br, bc, acc, c, ldc)),
        ("256x8", (m, n, k, a, ar, ac, b, br, bc, acc, c, ldc) => PackedGemm.Multiply<Simd256, Vector256<float>>(8, m, n, k, a, ar, ac, b, br, bc, acc, c, ldc)),
        ("128x6", (m, n, k, a, ar, ac, b, br, bc, acc, c, ldc) => PackedGemm.Multiply<Simd128, Vector128<float>>(6, m, n, k, a, ar, ac, b, br, bc, acc, c, ldc)),
    ];

    // (m, n, k): one element; partial tiles in both directions; two depth steps (k > KC); more rows
    // than MC and more columns than NC; a convolution-like long depth.
    private static readonly (int M, int N, int K)[] Shapes = [(1, 1, 1), (7, 33, 5), (13, 70, 300), (250, 1030, 20), (9, 40, 517)];

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, true, true)]
    public void EveryVariantIsBitIdenticalToTheScalarFmaLoop(bool transposeA, bool transposeB, bool accumulate)
    {
        var rng = new Random(11);
        foreach (var (m, n, k) in Shapes)
        {
            float[] a = Random(rng, m * k), b = Random(rng, k * n), start = Random(rng, m * n);
            // A stored m×k or transposed (k×m); B stored k×n or transposed (n×k).
            long aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1, bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1;
            var expected = (float[])start.Clone();
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    // Accumulating continues the chain from C's value.
                    float sum = accumulate ? expected[i * n + j] : 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum = MathF.FusedMultiplyAdd(a[i * aRow + p * aCol], b[p * bRow + j * bCol], sum);
                    }
                    expected[i * n + j] = sum;
                }
            }
            foreach (var (name, multiply) in Variants)
            {
                var actual = (float[])start.Clone();
                fixed (float* pa = a, pb = b, pc = actual)
                {
                    multiply(m, n, k, pa, aRow, aCol, pb, bRow, bCol, accumulate, pc, n);
                }
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name} on {m}x{n}x{k} differs from the scalar loop");
            }
        }
    }

    [Fact]
    public void TheDefaultIsOnOnlyWithAvx512AndTheSettingOverridesIt()
    {
        bool avx512 = Vector512.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Avx512F.IsSupported;
        Assert.Equal(avx512 ? 512 : 0, PackedGemm.ChooseBits(null));
        Assert.Equal(0, PackedGemm.ChooseBits("off"));
        Assert.Equal(128, PackedGemm.ChooseBits("128"));
        Assert.Equal(SmallGemm.ChooseBits("256"), PackedGemm.ChooseBits("256"));
    }

    [Theory]
    [InlineData(2, 32, 16, 64, 1)] // 3×3 pad 1: forward 64×256 deep 288, backward data 288×256 deep 64, backward filter 64×288 deep 256
    [InlineData(3, 40, 17, 48, 0)] // no padding, odd output size (15×15), partial tiles everywhere
    public void ConvolutionPassesMatchOpenBlasAndAgreeBitForBitAcrossWidths(int batch, int channels, int size, int filters, int pad)
    {
        const int kernel = 3;
        int output = size + 2 * pad - kernel + 1;
        var axis = new ConvolutionAxis(size, output, kernel, 1, pad, 1);
        var layout = new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(13);
        float[] x = Random(rng, batch * channels * size * size), w = Random(rng, filters * channels * kernel * kernel);
        float[] dy = Random(rng, batch * filters * output * output);
        var workspace = new ConvolutionWorkspace();
        try
        {
            PackedGemm.Bits = 0;
            float[][] reference = RunAll(layout, x, w, dy, workspace);
            PackedGemm.Bits = 512;
            float[][] wide = RunAll(layout, x, w, dy, workspace);
            int[] terms = [channels * kernel * kernel, filters * kernel * kernel, batch * output * output];
            for (int pass = 0; pass < 3; pass++)
            {
                for (int i = 0; i < wide[pass].Length; i++)
                {
                    Assert.True(Math.Abs(wide[pass][i] - reference[pass][i]) <= 1e-7 * terms[pass] + 2e-5,
                        $"pass {pass}, [{i}]: {wide[pass][i]} vs OpenBLAS {reference[pass][i]}");
                }
            }
            foreach (int bits in new[] { 512, 256, 128 })
            {
                PackedGemm.Bits = bits;
                float[][] again = RunAll(layout, x, w, dy, workspace);
                for (int pass = 0; pass < 3; pass++)
                {
                    Assert.True(wide[pass].AsSpan().SequenceEqual(again[pass]), $"{bits} bits, pass {pass}: not bit-identical to 512");
                }
            }
        }
        finally
        {
            workspace.Release();
        }
    }

    [Fact]
    public void SlicedColumnMatricesGiveTheWholeMatrixBitsForwardAndBackwardFilter()
    {
        // 2 samples, 32→64 channels, 20×20, 3×3 pad 1: 288 column rows × 400 positions.
        var axis = new ConvolutionAxis(20, 20, 3, 1, 1, 1);
        var layout = new ConvolutionLayout(2, 32, 64, 1, ConvolutionAxis.Unit, axis, axis);
        var rng = new Random(14);
        float[] x = Random(rng, 2 * 32 * 400), w = Random(rng, 64 * 32 * 9), dy = Random(rng, 2 * 64 * 400);
        var workspace = new ConvolutionWorkspace();
        int budget = ColumnSlices.BudgetFloats;
        try
        {
            PackedGemm.Bits = 512;
            ColumnSlices.BudgetFloats = int.MaxValue; // one slice: the whole matrix
            Assert.Equal(0, ColumnSlices.RowsPerSlice<float>(layout));
            float[][] whole = RunAll(layout, x, w, dy, workspace);
            ColumnSlices.BudgetFloats = 288 * 20 * 3; // 3 output rows per slice, the last one 2
            Assert.Equal(3, ColumnSlices.RowsPerSlice<float>(layout));
            float[][] sliced = RunAll(layout, x, w, dy, workspace);
            Assert.True(whole[0].AsSpan().SequenceEqual(sliced[0]), "forward differs between whole and sliced columns");
            Assert.True(whole[2].AsSpan().SequenceEqual(sliced[2]), "backward filter differs between whole and sliced columns");
            for (int i = 0; i < x.Length; i++)
            {
                // Backward data adds the slices into dx in another order: rounding only (64·9 terms of magnitude ≤ 1).
                Assert.True(Math.Abs(whole[1][i] - sliced[1][i]) <= 1e-4, $"dx[{i}]: {sliced[1][i]} vs {whole[1][i]}");
            }
            Assert.True(sliced[1].AsSpan().SequenceEqual(RunAll(layout, x, w, dy, workspace)[1]), "sliced backward data not reproducible");
        }
        finally
        {
            ColumnSlices.BudgetFloats = budget;
            workspace.Release();
        }
    }

    private static float[][] RunAll(ConvolutionLayout l, float[] x, float[] w, float[] dy, ConvolutionWorkspace workspace) =>
        SmallConvolutionTests.RunAll(l, x, w, dy, workspace);

    private static float[] Random(Random rng, int count) => SmallConvolutionTests.Random(rng, count);
}
