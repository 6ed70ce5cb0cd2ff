namespace Engine.Backend.OpenBlas.Tests;

public sealed class ReductionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    public static TheoryData<DataType> Types => TestData.TypeData();

    public static TheoryData<int[], DataType> SoftmaxCases()
    {
        var data = new TheoryData<int[], DataType>();
        int[][] shapes = [[1, 1], [3, 7], [5, 33], [2, 1001], [4, 2, 5], [1, 300]];
        foreach (int[] shape in shapes)
        {
            foreach (DataType type in TestData.Types)
            {
                data.Add(shape, type);
            }
        }
        return data;
    }

    public static TheoryData<int[], DataType> ChannelCases()
    {
        var data = new TheoryData<int[], DataType>();
        int[][] shapes = [[2, 3, 4, 5], [3, 4], [2, 3, 1, 1], [1, 1, 7], [4, 5, 33], [2, 16, 9, 9]];
        foreach (int[] shape in shapes)
        {
            foreach (DataType type in TestData.Types)
            {
                data.Add(shape, type);
            }
        }
        return data;
    }

    private static double[] SoftmaxReference(double[] x, int rows, int columns, bool log)
    {
        var y = new double[x.Length];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<double> row = x.AsSpan(r * columns, columns);
            double max = double.NegativeInfinity;
            foreach (double v in row)
            {
                max = Math.Max(max, v);
            }
            double sum = 0;
            foreach (double v in row)
            {
                sum += Math.Exp(v - max);
            }
            for (int c = 0; c < columns; c++)
            {
                y[(r * columns) + c] = log ? row[c] - max - Math.Log(sum) : Math.Exp(row[c] - max) / sum;
            }
        }
        return y;
    }

    [Theory]
    [MemberData(nameof(SoftmaxCases))]
    public void SoftmaxMatchesReference(int[] dims, DataType type)
    {
        var shape = new Shape(dims);
        (int rows, int columns) = shape.AsMatrix();
        var rng = new Random(rows * 31 + columns);
        double[] x = TestData.Random(rng, rows * columns, -10, 10, type);
        (double rel, double abs) = type == DataType.Float32 ? (1e-5, 1e-6) : (1e-12, 1e-14);

        foreach (bool log in new[] { false, true })
        {
            double[] expected = SoftmaxReference(x, rows, columns, log);
            using Tensor tx = TestData.Upload(_backend, x, shape, type);
            using Tensor ty = _backend.Allocate(shape, type);
            _backend.Softmax(tx, ty, log);
            double[] actual = TestData.Download(_backend, ty);
            TestData.AssertClose(expected, actual, rel, abs, $"Softmax(log={log}) {shape} {type}");
            if (!log)
            {
                for (int r = 0; r < rows; r++)
                {
                    double sum = actual.AsSpan(r * columns, columns).ToArray().Sum();
                    Assert.Equal(1.0, sum, type == DataType.Float32 ? 1e-5 : 1e-12);
                }
            }

            // In place.
            _backend.Softmax(tx, tx, log);
            TestData.AssertClose(expected, TestData.Download(_backend, tx), rel, abs, $"Softmax(log={log}) {shape} {type} in place");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SoftmaxStaysFiniteForLargeLogits(DataType type)
    {
        double[] x = [1000, 999, 998, -1000, 1000, 0, -1000, -999, -1000, 500, 1000, 1000];
        var shape = new Shape(3, 4);
        foreach (bool log in new[] { false, true })
        {
            using Tensor tx = TestData.Upload(_backend, x, shape, type);
            using Tensor ty = _backend.Allocate(shape, type);
            _backend.Softmax(tx, ty, log);
            double[] actual = TestData.Download(_backend, ty);
            Assert.All(actual, v => Assert.True(double.IsFinite(v), $"log={log}: {string.Join(", ", actual)}"));
            TestData.AssertClose(SoftmaxReference(x, 3, 4, log), actual, 1e-5, 1e-6, $"large logits, log={log}");
        }
    }

    [Theory]
    [MemberData(nameof(ChannelCases))]
    public void AddChannelBiasAddsPerChannel(int[] dims, DataType type)
    {
        var shape = new Shape(dims);
        int batch = dims[0], channels = dims[1];
        int spatial = (int)(shape.ElementCount / Math.Max(1, batch * channels));
        var rng = new Random(dims.Sum());
        double[] y = TestData.Random(rng, (int)shape.ElementCount, -5, 5, type);
        double[] bias = TestData.Random(rng, channels, -5, 5, type);
        var expected = new double[y.Length];
        for (int i = 0; i < y.Length; i++)
        {
            expected[i] = y[i] + bias[i / spatial % channels];
        }
        using Tensor ty = TestData.Upload(_backend, y, shape, type);
        using Tensor tb = TestData.Upload(_backend, bias, new Shape(channels), type);
        _backend.AddChannelBias(ty, tb);
        TestData.AssertClose(TestData.Round(expected, type), TestData.Download(_backend, ty), 1e-7, 1e-7, $"AddChannelBias {shape} {type}");
    }

    [Theory]
    [MemberData(nameof(ChannelCases))]
    public void SumChannelsSumsOverBatchAndSpace(int[] dims, DataType type)
    {
        var shape = new Shape(dims);
        int batch = dims[0], channels = dims[1];
        int spatial = (int)(shape.ElementCount / Math.Max(1, batch * channels));
        var rng = new Random(dims.Sum() + 1);
        double[] x = TestData.Random(rng, (int)shape.ElementCount, -5, 5, type);
        var totals = new double[channels];
        for (int i = 0; i < x.Length; i++)
        {
            totals[i / spatial % channels] += x[i];
        }
        double[] old = TestData.Random(rng, channels, -5, 5, type);
        (double rel, double abs) = type == DataType.Float32 ? (1e-6, 1e-5) : (1e-13, 1e-12);

        foreach (double beta in new[] { 0.0, 1.0, 0.5 })
        {
            double[] start = beta == 0 ? Enumerable.Repeat(double.NaN, channels).ToArray() : old;
            using Tensor tx = TestData.Upload(_backend, x, shape, type);
            using Tensor ts = TestData.Upload(_backend, start, new Shape(channels), type);
            _backend.SumChannels(tx, ts, beta);
            double[] expected = [.. totals.Select((t, c) => t + (beta == 0 ? 0 : beta * old[c]))];
            TestData.AssertClose(expected, TestData.Download(_backend, ts), rel, abs, $"SumChannels {shape} {type} beta={beta}");
        }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SumAccumulatesAccurately(DataType type)
    {
        foreach (int length in new[] { 0, 1, 7, 33, 1001, 100_003 })
        {
            var rng = new Random(length);
            double[] x = TestData.Random(rng, length, 0, 1, type);
            x.AsSpan(0, Math.Min(3, length)).Fill(1e-3);
            double expected = x.Sum();
            using Tensor tx = TestData.Upload(_backend, x, new Shape(length), type);
            using Tensor result = _backend.Allocate(new Shape(1), type);
            _backend.Sum(tx, result);
            double actual = TestData.Download(_backend, result)[0];
            double tolerance = type == DataType.Float32 ? 1.2e-7 : 1e-14;
            Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected),
                $"Sum {type} n={length}: {actual:R} vs {expected:R}");
        }
    }

    [Fact]
    public void SumOfFloatsIsNotAccumulatedInFloat()
    {
        // 2^24 + 1 + 1 + ... : float accumulation would lose every 1.
        double[] x = [.. Enumerable.Repeat(1.0, 4097)];
        x[0] = 16_777_216;
        using Tensor tx = TestData.Upload(_backend, x, new Shape(x.Length), DataType.Float32);
        using Tensor result = _backend.Allocate(new Shape(1), DataType.Float32);
        _backend.Sum(tx, result);
        Assert.Equal(16_777_216 + 4096, TestData.Download(_backend, result)[0]);
    }
}
