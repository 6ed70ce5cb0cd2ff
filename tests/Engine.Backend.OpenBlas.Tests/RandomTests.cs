namespace Engine.Backend.OpenBlas.Tests;

public sealed class RandomTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Theory]
    [MemberData(nameof(TestData.LengthsAndTypes), MemberType = typeof(TestData))]
    public void UniformEqualsCounterRandomExactly(int length, DataType type)
    {
        foreach ((double a, double b, ulong seed) in new[] { (0.0, 1.0, 1UL), (-0.1, 0.1, 42UL), (3.0, 7.5, ulong.MaxValue) })
        {
            using Tensor t = _backend.Allocate(new Shape(length), type);
            _backend.FillRandom(t, RandomDistribution.Uniform, a, b, seed);
            double[] actual = TestData.Download(_backend, t);
            for (int i = 0; i < length; i++)
            {
                double value = a + ((b - a) * CounterRandom.Uniform(seed, (ulong)i));
                double expected = type == DataType.Float32 ? (float)value : value;
                Assert.Equal(expected, actual[i]);
                Assert.InRange(actual[i], type == DataType.Float32 ? (float)a : a, b);
                Assert.True(actual[i] < b);
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.LengthsAndTypes), MemberType = typeof(TestData))]
    public void NormalEqualsCounterRandomExactly(int length, DataType type)
    {
        foreach ((double mean, double deviation, ulong seed) in new[] { (0.0, 1.0, 5UL), (2.0, 0.01, 123456789UL) })
        {
            using Tensor t = _backend.Allocate(new Shape(length), type);
            _backend.FillRandom(t, RandomDistribution.Normal, mean, deviation, seed);
            double[] actual = TestData.Download(_backend, t);
            for (int i = 0; i < length; i++)
            {
                double value = mean + (deviation * CounterRandom.Normal(seed, (ulong)i));
                Assert.Equal(type == DataType.Float32 ? (float)value : value, actual[i]);
            }
        }
    }

    [Fact]
    public void FloatUniformNeverReachesTheUpperBound()
    {
        // Around 1e8 floats are 8 apart: a + (b − a)·u rounds to b about half the time.
        const double a = 100_000_000, b = 100_000_008;
        using Tensor t = _backend.Allocate(new Shape(1000), DataType.Float32);
        _backend.FillRandom(t, RandomDistribution.Uniform, a, b, 9);
        Assert.All(TestData.Download(_backend, t), v => Assert.True(v >= a && v < b, $"{v:R} is outside [{a}, {b})"));
    }

    [Theory]
    [InlineData(DataType.Float32)]
    [InlineData(DataType.Float64)]
    public void MomentsAreSane(DataType type)
    {
        const int n = 100_000;
        using Tensor t = _backend.Allocate(new Shape(n), type);

        _backend.FillRandom(t, RandomDistribution.Uniform, -1, 1, 2024);
        (double mean, double std) = Moments(TestData.Download(_backend, t));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, (1 / Math.Sqrt(3)) - 0.01, (1 / Math.Sqrt(3)) + 0.01);

        _backend.FillRandom(t, RandomDistribution.Normal, 2, 3, 2025);
        double[] normal = TestData.Download(_backend, t);
        (mean, std) = Moments(normal);
        Assert.InRange(mean, 2 - 0.05, 2 + 0.05);
        Assert.InRange(std, 3 - 0.05, 3 + 0.05);
        // Roughly 68% within one standard deviation.
        double within = normal.Count(v => Math.Abs(v - 2) < 3) / (double)n;
        Assert.InRange(within, 0.67, 0.70);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentValues()
    {
        using Tensor a = _backend.Allocate(new Shape(64));
        using Tensor b = _backend.Allocate(new Shape(64));
        _backend.FillRandom(a, RandomDistribution.Uniform, 0, 1, 1);
        _backend.FillRandom(b, RandomDistribution.Uniform, 0, 1, 2);
        Assert.NotEqual(TestData.Download(_backend, a), TestData.Download(_backend, b));
    }

    [Fact]
    public void BadParametersAreRefused()
    {
        using Tensor t = _backend.Allocate(new Shape(4));
        Assert.Contains("FillRandom", Assert.Throws<ArgumentException>(() => _backend.FillRandom(t, RandomDistribution.Uniform, 1, 0, 1)).Message);
        Assert.Contains("FillRandom", Assert.Throws<ArgumentException>(() => _backend.FillRandom(t, RandomDistribution.Normal, 0, -1, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _backend.FillRandom(t, (RandomDistribution)99, 0, 1, 1));
    }

    private static (double Mean, double Std) Moments(double[] values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        return (mean, Math.Sqrt(variance));
    }
}
