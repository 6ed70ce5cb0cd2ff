namespace Engine.Backend.Conformance.Tests;

public sealed class DropoutConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.Dropout);

    [Theory]
    [MemberData(nameof(Cases))]
    public void MasksAreExactlyTheCounterRandomRule(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        foreach (var (p, seed) in new[] { (0.5, 1UL), (0.1, 2UL), (0.0, 3UL), (0.9, ulong.MaxValue) })
        {
            using Tensor mask = backend.Allocate(new Shape(3, 7, 11), type);
            backend.DropoutMask(mask, p, seed);
            double kept = type == DataType.Float32 ? (float)(1 / (1 - p)) : 1 / (1 - p);
            double[] expected = Enumerable.Range(0, 3 * 7 * 11).Select(i => CounterRandom.Uniform(seed, (ulong)i) >= p ? kept : 0).ToArray();
            Assert.Equal(expected, TensorData.Download(mask));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ProbabilitiesOutsideZeroToOneAreRefused(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        using Tensor mask = backend.Allocate(new Shape(4), type);
        foreach (double p in new[] { 1.0, -0.1, double.NaN })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => backend.DropoutMask(mask, p, 1));
            Assert.Contains("DropoutMask", e.Message);
        }
    }
}
