using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The 512-bit batch norm (<see cref="BatchNormVector"/>: one-pass shifted statistics, fused
/// multiply-adds) against the plain kernels of <see cref="NormalizationKernels"/>, on planes whose
/// length is and is not a multiple of 16 and on data whose mean is far from zero (where a one-pass
/// variance without the shift would cancel): equal within 2e-5 relative, and bit-identical run to run.
/// </summary>
public sealed unsafe class BatchNormVectorTests
{
    private static readonly (int N, int C, int S)[] Layouts = [(4, 3, 49), (3, 5, 1024), (2, 2, 17), (5, 4, 64), (2, 3, 7)];

    [Fact]
    public void ForwardMatchesThePlainKernel()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return; // the path is off without AVX-512
        }
        var rng = new Random(5);
        foreach (var (n, c, s) in Layouts)
        {
            var layout = new ChannelPlanes(n, c, s);
            float[] x = Data(rng, n * c * s, offset: 40);
            float[] gamma = Data(rng, c, offset: 1), beta = Data(rng, c, offset: 0);
            var plain = new BatchNormResult(n * c * s, c);
            var fast = new BatchNormResult(n * c * s, c);
            NormalizationKernels.BatchNormForwardKernel<float>(layout, 0, c, x, gamma, beta, plain.RunningMean, plain.RunningVariance,
                plain.Mean, plain.InvStd, plain.Output, 1e-5, 0.1, training: true);
            fast.Forward(layout, x, gamma, beta);
            AssertClose(plain.Output, fast.Output, 2e-5);
            AssertClose(plain.Mean, fast.Mean, 1e-6);
            AssertClose(plain.InvStd, fast.InvStd, 2e-5);
            AssertClose(plain.RunningMean, fast.RunningMean, 1e-6);
            AssertClose(plain.RunningVariance, fast.RunningVariance, 2e-5);
            var again = new BatchNormResult(n * c * s, c);
            again.Forward(layout, x, gamma, beta);
            Assert.Equal(fast.Output, again.Output);
        }
    }

    [Fact]
    public void BackwardMatchesThePlainKernel()
    {
        if (!Vector512.IsHardwareAccelerated)
        {
            return;
        }
        var rng = new Random(6);
        foreach (var (n, c, s) in Layouts)
        {
            var layout = new ChannelPlanes(n, c, s);
            int count = n * c * s;
            float[] x = Data(rng, count, offset: 3), dy = Data(rng, count, offset: 0.2f), gamma = Data(rng, c, offset: 1);
            float[] mean = new float[c], invStd = new float[c], scratch = new float[count];
            float[] runningMean = new float[c], runningVariance = new float[c];
            NormalizationKernels.BatchNormForwardKernel<float>(layout, 0, c, x, gamma, new float[c], runningMean, runningVariance, mean, invStd, scratch, 1e-5, 0.1, training: true);
            float[] dxPlain = new float[count], dgPlain = new float[c], dbPlain = new float[c];
            float[] dxFast = new float[count], dgFast = new float[c], dbFast = new float[c];
            NormalizationKernels.BatchNormBackwardKernel<float>(layout, 0, c, x, dy, gamma, mean, invStd, dxPlain, dgPlain, dbPlain);
            fixed (float* px = x, pdy = dy, pg = gamma, pm = mean, ps = invStd, pdx = dxFast, pdg = dgFast, pdb = dbFast)
            {
                BatchNormVector.Backward(layout, 0, c, px, pdy, pg, null, pm, ps, pdx, pdg, pdb, relu: false);
            }
            AssertClose(dxPlain, dxFast, 2e-5);
            AssertClose(dgPlain, dgFast, 2e-5);
            AssertClose(dbPlain, dbFast, 2e-5);
        }
    }

    private sealed class BatchNormResult(int count, int channels)
    {
        public float[] Output { get; } = new float[count];
        public float[] Mean { get; } = new float[channels];
        public float[] InvStd { get; } = new float[channels];
        public float[] RunningMean { get; } = Enumerable.Repeat(0.5f, channels).ToArray();
        public float[] RunningVariance { get; } = Enumerable.Repeat(2f, channels).ToArray();

        public void Forward(ChannelPlanes layout, float[] x, float[] gamma, float[] beta)
        {
            fixed (float* px = x, pg = gamma, pb = beta, prm = RunningMean, prv = RunningVariance, pm = Mean, ps = InvStd, py = Output)
            {
                BatchNormVector.Forward(layout, 0, layout.Channels, px, pg, pb, prm, prv, pm, ps, py, 1e-5, 0.1, relu: false);
            }
        }
    }

    private static float[] Data(Random rng, int count, float offset) =>
        Enumerable.Range(0, count).Select(_ => offset + (float)((rng.NextDouble() * 2) - 1)).ToArray();

    // Relative to the largest magnitude of the expected values (dx sums terms that cancel).
    private static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        double scale = Math.Max(1e-3, expected.Max(v => Math.Abs((double)v)));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
