namespace Engine.Backend.Conformance.Tests;

public sealed class BatchNormConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.BatchNorm);

    private static readonly int[][] Shapes = [[5, 4], [3, 2, 5, 7], [2, 3, 17], [4, 2, 3, 2, 2]];

    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainingForwardBackwardAndRunningStatisticsMatchTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        const double epsilon = 1e-3, momentum = 0.2;
        ulong seed = 10;
        foreach (int[] shape in Shapes)
        {
            (int n, int c, int s) = (shape[0], shape[1], shape[2..].Aggregate(1, (a, b) => a * b));
            string what = $"batch norm of [{string.Join(", ", shape)}]";
            // An offset and scale per tensor so that the mean is not ~0 and the variance not ~1.
            double[] x = TensorData.Random(n * c * s, seed++, type, 2).Select(v => v + 3).Select(v => Round(v, type)).ToArray();
            double[] dy = TensorData.Random(n * c * s, seed++, type);
            double[] gamma = TensorData.Random(c, seed++, type), beta = TensorData.Random(c, seed++, type);
            double[] runningMean = TensorData.Random(c, seed++, type);
            double[] runningVariance = TensorData.Random(c, seed++, type).Select(v => Round(1 + Math.Abs(v), type)).ToArray();

            var shapeOf = new Shape(shape);
            using Tensor tx = TensorData.Upload(backend, shapeOf, x, type);
            using Tensor ty = backend.Allocate(shapeOf, type);
            using Tensor tg = TensorData.Upload(backend, new Shape(c), gamma, type);
            using Tensor tb = TensorData.Upload(backend, new Shape(c), beta, type);
            using Tensor trm = TensorData.Upload(backend, new Shape(c), runningMean, type);
            using Tensor trv = TensorData.Upload(backend, new Shape(c), runningVariance, type);
            using Tensor tsm = backend.Allocate(new Shape(c), type);
            using Tensor tsi = backend.Allocate(new Shape(c), type);
            backend.BatchNormForward(tx, tg, tb, trm, trv, tsm, tsi, ty, epsilon, momentum, training: true);

            var stats = Enumerable.Range(0, c).Select(ch => ReferenceNormalization.Statistics(x, n, c, s, ch)).ToArray();
            double[] mean = stats.Select(t => t.Mean).ToArray(), variance = stats.Select(t => t.Variance).ToArray();
            int m = n * s;
            TensorData.AssertClose(ReferenceNormalization.Normalize(x, n, c, s, mean, variance, gamma, beta, epsilon), TensorData.Download(ty), type, what + " y");
            TensorData.AssertClose(mean, TensorData.Download(tsm), type, what + " saved mean");
            TensorData.AssertClose(variance.Select(v => 1 / Math.Sqrt(v + epsilon)).ToArray(), TensorData.Download(tsi), type, what + " saved 1/std");
            TensorData.AssertClose(runningMean.Select((r, ch) => ((1 - momentum) * r) + (momentum * mean[ch])).ToArray(),
                TensorData.Download(trm), type, what + " running mean");
            TensorData.AssertClose(runningVariance.Select((r, ch) => ((1 - momentum) * r) + (momentum * variance[ch] * m / (m - 1))).ToArray(),
                TensorData.Download(trv), type, what + " running variance (unbiased)");

            using Tensor tdy = TensorData.Upload(backend, shapeOf, dy, type);
            using Tensor tdx = backend.Allocate(shapeOf, type);
            using Tensor tdg = TensorData.Upload(backend, new Shape(c), Enumerable.Repeat(double.NaN, c).ToArray(), type);
            using Tensor tdb = TensorData.Upload(backend, new Shape(c), Enumerable.Repeat(double.NaN, c).ToArray(), type);
            backend.BatchNormBackward(tx, tdy, tg, tsm, tsi, tdx, tdg, tdb);
            var (dx, dGamma, dBeta) = ReferenceNormalization.BatchNormBackward(x, dy, n, c, s, gamma, epsilon);
            TensorData.AssertClose(dx, TensorData.Download(tdx), type, what + " dx");
            TensorData.AssertClose(dGamma, TensorData.Download(tdg), type, what + " dgamma");
            TensorData.AssertClose(dBeta, TensorData.Download(tdb), type, what + " dbeta");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InferenceUsesRunningStatisticsAndLeavesTheSavedOnesAlone(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        (int n, int c, int s) = (3, 4, 6);
        double[] x = TensorData.Random(n * c * s, 1, type);
        double[] gamma = TensorData.Random(c, 2, type), beta = TensorData.Random(c, 3, type), mean = TensorData.Random(c, 4, type);
        double[] variance = TensorData.Random(c, 5, type).Select(v => Round(0.5 + Math.Abs(v), type)).ToArray();
        double[] sentinel = [7, 7, 7, 7];
        using Tensor tx = TensorData.Upload(backend, new Shape(n, c, 2, 3), x, type);
        using Tensor ty = backend.Allocate(new Shape(n, c, 2, 3), type);
        using Tensor tg = TensorData.Upload(backend, new Shape(c), gamma, type);
        using Tensor tb = TensorData.Upload(backend, new Shape(c), beta, type);
        using Tensor trm = TensorData.Upload(backend, new Shape(c), mean, type);
        using Tensor trv = TensorData.Upload(backend, new Shape(c), variance, type);
        using Tensor tsm = TensorData.Upload(backend, new Shape(c), sentinel, type);
        using Tensor tsi = TensorData.Upload(backend, new Shape(c), sentinel, type);
        backend.BatchNormForward(tx, tg, tb, trm, trv, tsm, tsi, ty, 1e-5, 0.1, training: false);
        TensorData.AssertClose(ReferenceNormalization.Normalize(x, n, c, s, mean, variance, gamma, beta, 1e-5), TensorData.Download(ty), type, "inference y");
        Assert.Equal(mean, TensorData.Download(trm));
        Assert.Equal(variance, TensorData.Download(trv));
        Assert.Equal(sentinel, TensorData.Download(tsm));
        Assert.Equal(sentinel, TensorData.Download(tsi));
    }

    private static double Round(double v, DataType type) => type == DataType.Float32 ? (float)v : v;
}
