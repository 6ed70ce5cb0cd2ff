namespace Engine.Backend.Conformance.Tests;

/// <summary>Moves float64 reference data to and from any backend in any data type, and compares.</summary>
public static class TensorData
{
    public static Tensor Upload(IBackend backend, Shape shape, double[] values, DataType type) =>
        Engine.Tests.HostTensors.Upload(backend, shape, values, type);

    public static double[] Download(Tensor t) => Engine.Tests.HostTensors.Download(t);

    /// <summary>Seeded normal values, rounded to the data type so the reference sees what the backend sees.</summary>
    public static double[] Random(int count, ulong seed, DataType type, double scale = 1) =>
        Enumerable.Range(0, count).Select(i => scale * CounterRandom.Normal(seed, (ulong)i))
            .Select(v => type == DataType.Float32 ? (double)(float)v : v).ToArray();

    public static void AssertClose(double[] expected, double[] actual, DataType type, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var (absolute, relative) = Backends.Tolerance(type);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= absolute * scale + relative * Math.Abs(expected[i]),
                $"{what}[{i}]: reference {expected[i]:G10}, backend {actual[i]:G10}");
        }
    }
}
