namespace Engine.Conformance;

/// <summary>Batch normalisation (training with running statistics and backward; inference) and local response normalisation.</summary>
internal static class NormalizationCases
{
    private static readonly int[][] BatchNormShapes = [[5, 4], [3, 2, 5, 7], [2, 3, 17], [4, 2, 3, 2, 2]];

    private static readonly (int[] Shape, LrnParameters P)[] LrnProblems =
    [
        ([2, 7, 3, 4], new LrnParameters()),
        ([2, 6, 5], new LrnParameters(Size: 3, Alpha: 0.5, Beta: 0.75, K: 1)),
        ([3, 5], new LrnParameters(Size: 4, Alpha: 1.0, Beta: 0.6, K: 2)),
        ([1, 3, 2, 2], new LrnParameters(Size: 9, Alpha: 0.3, Beta: 1.2, K: 1.5)),
    ];

    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            foreach (int[] shape in BatchNormShapes)
            {
                var d = new OpDescriptor(BackendOp.BatchNorm, type) { Shape = new Shape(shape) };
                yield return KitCase.Of($"{d} training", d, c => Training(c, shape));
            }
            var inference = new OpDescriptor(BackendOp.BatchNorm, type) { Shape = new Shape(3, 4, 2, 3) };
            yield return KitCase.Of($"{inference} inference", inference, Inference);
            foreach (var (shape, p) in LrnProblems)
            {
                var d = new OpDescriptor(BackendOp.Lrn, type) { Lrn = p, Shape = new Shape(shape) };
                yield return KitCase.Of($"{d} α {p.Alpha} β {p.Beta} k {p.K}", d, c => Lrn(c, shape, p));
            }
        }
    }

    private static (int N, int C, int S) Split(int[] shape) => (shape[0], shape[1], shape[2..].Aggregate(1, (a, b) => a * b));

    private static void Training(CaseContext c, int[] shape)
    {
        const double epsilon = 1e-3, momentum = 0.2;
        var (n, channels, s) = Split(shape);
        // An offset and scale so that the mean is not ~0 and the variance not ~1.
        double[] x = c.Round(c.Random(n * channels * s, 10, 2).Select(v => v + 3).ToArray());
        double[] dy = c.Random(n * channels * s, 11), gamma = c.Random(channels, 12), beta = c.Random(channels, 13);
        double[] runningMean = c.Random(channels, 14);
        double[] runningVariance = c.Round(c.Random(channels, 15).Select(v => 1 + Math.Abs(v)).ToArray());
        var shapeOf = new Shape(shape);
        var perChannel = new Shape(channels);
        Tensor tx = c.Upload(shapeOf, x), ty = c.Garbage(shapeOf), tg = c.Upload(perChannel, gamma), tb = c.Upload(perChannel, beta);
        Tensor trm = c.Upload(perChannel, runningMean), trv = c.Upload(perChannel, runningVariance);
        Tensor tsm = c.Garbage(perChannel), tsi = c.Garbage(perChannel);
        c.Backend.BatchNormForward(tx, tg, tb, trm, trv, tsm, tsi, ty, epsilon, momentum, training: true);

        var stats = Enumerable.Range(0, channels).Select(ch => ReferenceNormalization.Statistics(x, n, channels, s, ch)).ToArray();
        double[] mean = stats.Select(t => t.Mean).ToArray(), variance = stats.Select(t => t.Variance).ToArray();
        int m = n * s;
        c.Close(ReferenceNormalization.Normalize(x, n, channels, s, mean, variance, gamma, beta, epsilon), ty, "y");
        c.Close(mean, tsm, "saved mean");
        c.Close(variance.Select(v => 1 / Math.Sqrt(v + epsilon)).ToArray(), tsi, "saved 1/std");
        c.Close(runningMean.Select((r, ch) => ((1 - momentum) * r) + (momentum * mean[ch])).ToArray(), trm, "running mean");
        c.Close(runningVariance.Select((r, ch) => ((1 - momentum) * r) + (momentum * variance[ch] * m / (m - 1))).ToArray(), trv, "running variance (unbiased)");

        Tensor tdy = c.Upload(shapeOf, dy), tdx = c.Garbage(shapeOf), tdg = c.Garbage(perChannel), tdb = c.Garbage(perChannel);
        c.Backend.BatchNormBackward(tx, tdy, tg, tsm, tsi, tdx, tdg, tdb);
        var (dx, dGamma, dBeta) = ReferenceNormalization.BatchNormBackward(x, dy, n, channels, s, gamma, epsilon);
        c.Close(dx, tdx, "dx");
        c.Close(dGamma, tdg, "dγ");
        c.Close(dBeta, tdb, "dβ");
        if (c.Backend.FusesBatchNormRelu(c.Type))
        {
            ReluFused(c, shapeOf, tx, tg, tb, tdy, x, dy, gamma, beta, epsilon, momentum);
        }
    }

    // Batch norm + ReLU in one pass each way: y = max(bn(x), 0); backward is batch norm's of dy·[y > 0],
    // the mask read from the backend's own y (the reference's may fall the other way at 0).
    private static void ReluFused(CaseContext c, Shape shapeOf, Tensor tx, Tensor tg, Tensor tb, Tensor tdy, double[] x, double[] dy,
        double[] gamma, double[] beta, double epsilon, double momentum)
    {
        var (n, channels, s) = (shapeOf[0], shapeOf[1], (int)(shapeOf.ElementCount / (shapeOf[0] * shapeOf[1])));
        var perChannel = new Shape(channels);
        Tensor ty = c.Garbage(shapeOf), trm = c.Upload(perChannel, new double[channels]), trv = c.Upload(perChannel, Enumerable.Repeat(1.0, channels).ToArray());
        Tensor tsm = c.Garbage(perChannel), tsi = c.Garbage(perChannel);
        c.Backend.BatchNormReluForward(tx, tg, tb, trm, trv, tsm, tsi, ty, epsilon, momentum);
        var stats = Enumerable.Range(0, channels).Select(ch => ReferenceNormalization.Statistics(x, n, channels, s, ch)).ToArray();
        double[] mean = stats.Select(t => t.Mean).ToArray(), variance = stats.Select(t => t.Variance).ToArray();
        c.Close(ReferenceNormalization.Normalize(x, n, channels, s, mean, variance, gamma, beta, epsilon).Select(v => Math.Max(v, 0)).ToArray(), ty, "y (batch norm + ReLU)");
        c.Close(mean, tsm, "saved mean (batch norm + ReLU)");
        double[] y = CaseContext.Download(ty);
        Tensor tdx = c.Garbage(shapeOf), tdg = c.Garbage(perChannel), tdb = c.Garbage(perChannel);
        c.Backend.BatchNormReluBackward(tx, ty, tdy, tg, tb, tsm, tsi, tdx, tdg, tdb);
        var (dx, dGamma, dBeta) = ReferenceNormalization.BatchNormBackward(x, dy.Select((g, i) => y[i] > 0 ? g : 0).ToArray(), n, channels, s, gamma, epsilon);
        c.Close(dx, tdx, "dx (batch norm + ReLU)");
        c.Close(dGamma, tdg, "dγ (batch norm + ReLU)");
        c.Close(dBeta, tdb, "dβ (batch norm + ReLU)");
    }

    private static void Inference(CaseContext c)
    {
        (int n, int channels, int s) = (3, 4, 6);
        double[] x = c.Random(n * channels * s, 1), gamma = c.Random(channels, 2), beta = c.Random(channels, 3), mean = c.Random(channels, 4);
        double[] variance = c.Round(c.Random(channels, 5).Select(v => 0.5 + Math.Abs(v)).ToArray());
        double[] sentinel = [7, 7, 7, 7];
        var shape = new Shape(n, channels, 2, 3);
        var perChannel = new Shape(channels);
        Tensor tx = c.Upload(shape, x), ty = c.Garbage(shape), tg = c.Upload(perChannel, gamma), tb = c.Upload(perChannel, beta);
        Tensor trm = c.Upload(perChannel, mean), trv = c.Upload(perChannel, variance);
        Tensor tsm = c.Upload(perChannel, sentinel), tsi = c.Upload(perChannel, sentinel);
        c.Backend.BatchNormForward(tx, tg, tb, trm, trv, tsm, tsi, ty, 1e-5, 0.1, training: false);
        c.Close(ReferenceNormalization.Normalize(x, n, channels, s, mean, variance, gamma, beta, 1e-5), ty, "y");
        CaseContext.Exact(mean, trm, "running mean (unchanged)");
        CaseContext.Exact(variance, trv, "running variance (unchanged)");
        CaseContext.Exact(sentinel, tsm, "saved mean (not written)");
        CaseContext.Exact(sentinel, tsi, "saved 1/std (not written)");
    }

    private static void Lrn(CaseContext c, int[] shape, LrnParameters p)
    {
        var (n, channels, s) = Split(shape);
        double[] x = c.Random(n * channels * s, 20), dy = c.Random(n * channels * s, 21);
        var shapeOf = new Shape(shape);
        Tensor tx = c.Upload(shapeOf, x), ty = c.Garbage(shapeOf), tScale = c.Garbage(shapeOf), tdy = c.Upload(shapeOf, dy), tdx = c.Garbage(shapeOf);
        c.Backend.LrnForward(p, tx, ty, tScale);
        var (y, scale) = ReferenceNormalization.LrnForward(p, x, n, channels, s);
        c.Close(y, ty, "y");
        c.Close(scale, tScale, "saved scale");
        c.Backend.LrnBackward(p, tx, ty, tScale, tdy, tdx);
        c.Close(ReferenceNormalization.LrnBackward(p, x, dy, n, channels, s), tdx, "dx");
    }
}
