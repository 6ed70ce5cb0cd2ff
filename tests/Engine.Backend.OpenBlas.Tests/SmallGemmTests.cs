using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The engine's own small-GEMM kernel at each vector width (AVX-512, AVX2, portable 128-bit; a width
/// the CPU lacks runs in the runtime's software fallback, slower but with the same arithmetic)
/// against the plain loop and against each other, on the shapes LeNet's convolutions make and on
/// odd ones that exercise every tail.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class SmallGemmTests
{
    // (m, n, k): conv1 forward, conv2 forward, conv2 backward data, odd sizes with tails in every loop.
    private static readonly (int M, int N, int K)[] Shapes = [(6, 784, 25), (16, 100, 150), (150, 100, 16), (7, 37, 13), (1, 3, 5), (13, 50, 1)];

    private delegate void MultiplyAt(int m, int n, int k, float* a, int aRow, int aCol, float* b, int ldb, bool accumulate, float* c, int ldc);

    private static readonly MultiplyAt[] MultiplyWidths =
    [
        SmallGemm.Multiply<Simd512, Vector512<float>>,
        SmallGemm.Multiply<Simd256, Vector256<float>>,
        SmallGemm.Multiply<Simd128, Vector128<float>>,
    ];

    private static readonly MultiplyAt[] DotWidths =
    [
        (m, n, k, a, lda, _, b, ldb, acc, c, ldc) => SmallGemm.MultiplyTransposedB<Simd512, Vector512<float>>(m, n, k, a, lda, b, ldb, acc, c, ldc),
        (m, n, k, a, lda, _, b, ldb, acc, c, ldc) => SmallGemm.MultiplyTransposedB<Simd256, Vector256<float>>(m, n, k, a, lda, b, ldb, acc, c, ldc),
        (m, n, k, a, lda, _, b, ldb, acc, c, ldc) => SmallGemm.MultiplyTransposedB<Simd128, Vector128<float>>(m, n, k, a, lda, b, ldb, acc, c, ldc),
    ];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MultiplyIsBitIdenticalToTheScalarFmaLoopAtEveryWidth(bool transposeA, bool accumulate)
    {
        var rng = new Random(5);
        foreach (var (m, n, k) in Shapes)
        {
            float[] a = Random(rng, m * k), b = Random(rng, k * n), start = Random(rng, m * n);
            // A stored m×k (aRow = k) or transposed as k×m (aRow = 1, aCol = m).
            int aRow = transposeA ? 1 : k, aCol = transposeA ? m : 1;
            var expected = (float[])start.Clone();
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    float sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        sum = MathF.FusedMultiplyAdd(a[i * aRow + p * aCol], b[p * n + j], sum);
                    }
                    expected[i * n + j] = accumulate ? expected[i * n + j] + sum : sum;
                }
            }
            foreach (MultiplyAt multiply in MultiplyWidths)
            {
                var actual = (float[])start.Clone();
                fixed (float* pa = a, pb = b, pc = actual)
                {
                    multiply(m, n, k, pa, aRow, aCol, pb, n, accumulate, pc, n);
                }
                Assert.Equal(expected, actual);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TransposedBMatchesTheDoublePrecisionLoopAtEveryWidth(bool accumulate)
    {
        var rng = new Random(6);
        // (m, n, k): conv1 and conv2 backward filter (dW = dY·colᵀ), then tails (k below a vector, odd rows).
        foreach (var (m, n, k) in new[] { (6, 25, 784), (16, 150, 100), (5, 7, 3), (9, 6, 37) })
        {
            float[] a = Random(rng, m * k), b = Random(rng, n * k), start = Random(rng, m * n);
            float[][] results = new float[DotWidths.Length][];
            for (int w = 0; w < DotWidths.Length; w++)
            {
                results[w] = (float[])start.Clone();
                fixed (float* pa = a, pb = b, pc = results[w])
                {
                    DotWidths[w](m, n, k, pa, k, 0, pb, k, accumulate, pc, n);
                }
            }
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    double sum = accumulate ? start[i * n + j] : 0, magnitude = Math.Abs(sum);
                    for (int p = 0; p < k; p++)
                    {
                        sum += (double)a[i * k + p] * b[j * k + p];
                        magnitude += Math.Abs((double)a[i * k + p] * b[j * k + p]);
                    }
                    foreach (float[] result in results)
                    {
                        // float rounding of a k-term sum: well under k·2⁻²⁴ of the terms' magnitude.
                        Assert.True(Math.Abs(result[i * n + j] - sum) <= 1e-6 * magnitude + 1e-7,
                            $"({m},{n},{k}) [{i},{j}]: {result[i * n + j]} vs {sum}");
                    }
                }
            }
        }
    }

    [Fact]
    public void ConvolutionShapesGoToTheOwnKernelAndLargeOnesToOpenBlas()
    {
        // LeNet conv2: forward (16×100, depth 150), backward data (150×100, depth 16); backward filters below.
        Assert.Equal(SmallGemm.Bits != 0, SmallGemm.Takes(16, 100, 150));
        Assert.Equal(SmallGemm.Bits != 0, SmallGemm.Takes(150, 100, 16));
        Assert.Equal(SmallGemm.Bits != 0, SmallGemm.TakesTransposedB(6, 25, 784)); // conv1 backward filter
        Assert.False(SmallGemm.TakesTransposedB(16, 150, 100)); // too shallow: lane reductions dominate
        // A ResNet 3×3 convolution (64 filters × 3136 positions, depth 576) stays with OpenBLAS.
        Assert.False(SmallGemm.Takes(64, 3136, 576));
        Assert.False(SmallGemm.TakesTransposedB(64, 576, 3136));
    }

    [Theory]
    [InlineData("off", 0)]
    [InlineData("128", 128)]
    public void TheEnvironmentSettingPicksTheWidth(string setting, int bits) => Assert.Equal(bits, SmallGemm.ChooseBits(setting));

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }
}
