namespace Engine.Backend.OpenBlas.Tests;

public sealed class GemmTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    public static TheoryData<DataType> Types => TestData.TypeData();

    private static readonly (double Alpha, double Beta)[] Scales =
    [
        (1, 0), (1, 1), (0.5, -1.5), (-2, 0.25), (3, 0), (0, 2),
    ];

    [Theory]
    [MemberData(nameof(Types))]
    public void MatchesNaiveReferenceOnRandomShapes(DataType type)
    {
        var rng = new Random(20240611);
        for (int trial = 0; trial < 80; trial++)
        {
            int m = rng.Next(1, 41);
            int n = rng.Next(1, 41);
            int k = rng.Next(1, 301);
            bool ta = (trial & 1) != 0;
            bool tb = (trial & 2) != 0;
            (double alpha, double beta) = Scales[trial % Scales.Length];
            RunCase(type, rng, m, n, k, ta, tb, alpha, beta, $"trial {trial}");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void HandlesEdgeShapesWithEveryTransposeCombination(DataType type)
    {
        var rng = new Random(7);
        (int M, int N, int K)[] shapes =
        [
            (1, 1, 1), (1, 1, 300), (1, 37, 5), (37, 1, 5), (1, 9, 1), (9, 1, 1), (64, 64, 64),
            (3, 200, 2), (200, 3, 2), (17, 19, 257),
        ];
        foreach ((int m, int n, int k) in shapes)
        {
            for (int t = 0; t < 4; t++)
            {
                RunCase(type, rng, m, n, k, (t & 1) != 0, (t & 2) != 0, 1.25, 0.5, "edge");
                RunCase(type, rng, m, n, k, (t & 1) != 0, (t & 2) != 0, -0.75, 0, "edge");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void MatchesReferenceWhenSplitOverThePool(DataType type)
    {
        // Above 2^20 multiply-adds the backend cuts C into row (tall C) or column (wide C) blocks,
        // one per pool thread; odd sizes leave uneven blocks.
        var rng = new Random(11);
        (int M, int N, int K)[] shapes = [(64, 400, 120), (120, 401, 64), (333, 50, 97), (47, 700, 64)];
        foreach ((int m, int n, int k) in shapes)
        {
            for (int t = 0; t < 4; t++)
            {
                RunCase(type, rng, m, n, k, (t & 1) != 0, (t & 2) != 0, 0.5, t == 3 ? 0 : 1.5, "split");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void BetaZeroIgnoresNaNsInC(DataType type)
    {
        for (int t = 0; t < 4; t++)
        {
            RunCase(type, new Random(t), 13, 11, 29, (t & 1) != 0, (t & 2) != 0, 1.5, 0, "NaN-filled C", fillCWithNaN: true);
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SeesHigherRankTensorsAsMatrices(DataType type)
    {
        // A [6, 2, 5] is 6x10, B [10, 3, 1] is 10x3, C [6, 3] is 6x3.
        var rng = new Random(3);
        double[] a = TestData.Random(rng, 60, -1, 1, type);
        double[] b = TestData.Random(rng, 30, -1, 1, type);
        using Tensor ta = TestData.Upload(_backend, a, new Shape(6, 2, 5), type);
        using Tensor tb = TestData.Upload(_backend, b, new Shape(10, 3, 1), type);
        using Tensor tc = _backend.Allocate(new Shape(6, 3), type);
        _backend.Gemm(false, false, 1, ta, tb, 0, tc);
        double[] expected = Reference(a, b, new double[18], 6, 3, 10, false, false, 1, 0, out double[] scale);
        AssertWithin(expected, TestData.Download(_backend, tc), scale, type, "higher rank");
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void EmptyInnerDimensionScalesC(DataType type)
    {
        using Tensor a = _backend.Allocate(new Shape(3, 0), type);
        using Tensor b = _backend.Allocate(new Shape(0, 2), type);
        using Tensor c = TestData.Upload(_backend, [1, 2, 3, 4, 5, 6], new Shape(3, 2), type);
        _backend.Gemm(false, false, 1, a, b, 2, c);
        Assert.Equal([2, 4, 6, 8, 10, 12], TestData.Download(_backend, c));
        _backend.Fill(c, double.NaN);
        _backend.Gemm(false, false, 1, a, b, 0, c);
        Assert.All(TestData.Download(_backend, c), v => Assert.Equal(0, v));
    }

    [Fact]
    public void Float32IsReallyComputedInSinglePrecision()
    {
        // Guards against a test set-up that would hide the precision: 1 + 2^-30 is 1 in float.
        using Tensor a = TestData.Upload(_backend, [1, 1], new Shape(1, 2), DataType.Float32);
        using Tensor b = TestData.Upload(_backend, [1, Math.Pow(2, -30)], new Shape(2, 1), DataType.Float32);
        using Tensor c = _backend.Allocate(new Shape(1, 1), DataType.Float32);
        _backend.Gemm(false, false, 1, a, b, 0, c);
        Assert.Equal(1.0, TestData.Download(_backend, c)[0]);
    }

    private void RunCase(DataType type, Random rng, int m, int n, int k, bool ta, bool tb, double alpha, double beta, string label, bool fillCWithNaN = false)
    {
        double[] a = TestData.Random(rng, m * k, -1, 1, type);
        double[] b = TestData.Random(rng, k * n, -1, 1, type);
        double[] c = fillCWithNaN ? Enumerable.Repeat(double.NaN, m * n).ToArray() : TestData.Random(rng, m * n, -1, 1, type);
        using Tensor tA = TestData.Upload(_backend, a, ta ? new Shape(k, m) : new Shape(m, k), type);
        using Tensor tB = TestData.Upload(_backend, b, tb ? new Shape(n, k) : new Shape(k, n), type);
        using Tensor tC = TestData.Upload(_backend, c, new Shape(m, n), type);
        _backend.Gemm(ta, tb, alpha, tA, tB, beta, tC);
        double[] expected = Reference(a, b, c, m, n, k, ta, tb, alpha, beta, out double[] scale);
        string context = $"{label}: {type} m={m} n={n} k={k} transA={ta} transB={tb} alpha={alpha} beta={beta}";
        AssertWithin(expected, TestData.Download(_backend, tC), scale, type, context);
    }

    /// <summary>Triple loop in double; <paramref name="scale"/> is Σ|terms| per element, the natural error scale.</summary>
    private static double[] Reference(double[] a, double[] b, double[] c, int m, int n, int k, bool ta, bool tb, double alpha, double beta, out double[] scale)
    {
        var result = new double[m * n];
        scale = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double x = ta ? a[(p * m) + i] : a[(i * k) + p];
                    double y = tb ? b[(j * k) + p] : b[(p * n) + j];
                    sum += x * y;
                    magnitude += Math.Abs(x * y);
                }
                double old = beta == 0 ? 0 : beta * c[(i * n) + j];
                result[(i * n) + j] = (alpha * sum) + old;
                scale[(i * n) + j] = (Math.Abs(alpha) * magnitude) + Math.Abs(old);
            }
        }
        return result;
    }

    private static void AssertWithin(double[] expected, double[] actual, double[] scale, DataType type, string context)
    {
        double tolerance = type == DataType.Float32 ? 1e-5 : 1e-12;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= (tolerance * scale[i]) + 1e-300,
                $"{context}: element {i} is {actual[i]:R}, reference {expected[i]:R}, error {error:E3} > {tolerance:E0} x {scale[i]:E3}");
        }
    }
}
