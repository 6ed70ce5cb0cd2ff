using System.Globalization;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-layers</c>: the memory-bound kernels of a ResNet training step, each fast path against
/// the plain one it replaced, on ResNet-20's first-stage tensor (batch 128, 16 channels, 32×32):
/// batch norm forward (training) and backward, per-channel calls on one thread, and batch norm + ReLU
/// in one pass each way against batch norm and the ReLU layer's passes (ENGINE_BN_RELU_FUSION). Alternating
/// variants, one call per round, the least thread CPU time kept (see <see cref="QuickPacked.Now"/>).
/// GB/s counts the least traffic: forward reads x and writes y, backward reads dy and x and writes dx.
/// </summary>
internal static unsafe class QuickLayerKernels
{
    public static void Run(int rounds)
    {
        var layout = new ChannelPlanes(128, 16, 1024);
        int n = layout.Batch * layout.Channels * layout.Spatial, c = layout.Channels;
        var rng = new Random(3);
        float[] x = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] dy = Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] y = new float[n], dx = new float[n], dz = new float[n];
        float[] gamma = Enumerable.Repeat(1f, c).ToArray(), beta = new float[c], rm = new float[c], rv = new float[c], mean = new float[c], inv = new float[c], dg = new float[c], db = new float[c];
        (string Name, Action Call, double Bytes)[] variants;
        int width = WorkerPool.Width;
        WorkerPool.Width = 1; // the ReLU calls run on the pool: one thread, as the batch norm variants
        fixed (float* pdz = dz, px = x, pdy = dy, py = y, pdx = dx, pg = gamma, pb = beta, prm = rm, prv = rv, pm = mean, ps = inv, pdg = dg, pdb = db)
        {
            nint adz = (nint)pdz, ax = (nint)px, ady = (nint)pdy, ay = (nint)py, adx = (nint)pdx, ag = (nint)pg, ab = (nint)pb, arm = (nint)prm, arv = (nint)prv, am = (nint)pm, asd = (nint)ps, adg = (nint)pdg, adb = (nint)pdb;
            variants =
            [
                ("bn forward plain", () => NormalizationKernels.BatchNormForwardKernel<float>(layout, 0, c, x, gamma, beta, rm, rv, mean, inv, y, 1e-5, 0.1, true), 8.0 * n),
                ("bn forward 512", () => BatchNormVector.Forward(layout, 0, c, (float*)ax, (float*)ag, (float*)ab, (float*)arm, (float*)arv, (float*)am, (float*)asd, (float*)ay, 1e-5, 0.1, relu: false), 8.0 * n),
                ("bn+relu forward 512", () => BatchNormVector.Forward(layout, 0, c, (float*)ax, (float*)ag, (float*)ab, (float*)arm, (float*)arv, (float*)am, (float*)asd, (float*)ay, 1e-5, 0.1, relu: true), 8.0 * n),
                ("bn backward plain", () => NormalizationKernels.BatchNormBackwardKernel<float>(layout, 0, c, x, dy, gamma, mean, inv, dx, dg, db), 12.0 * n),
                ("sum, whole tensor", () => System.Numerics.Tensors.TensorPrimitives.Sum(x), 4.0 * n),
                ("copy, whole tensor", () => x.AsSpan().CopyTo(y), 8.0 * n),
                ("moments whole", () => { double s1 = 0, s2 = 0; BatchNormVector.ShiftedMoments((float*)ax, n, 0.5, ref s1, ref s2); }, 4.0 * n),
                ("scale-shift whole", () => BatchNormVector.ScaleShift((float*)ax, n, 2f, 1f, (float*)ay), 8.0 * n),
                ("bn backward 512", () => BatchNormVector.Backward(layout, 0, c, (float*)ax, (float*)ady, (float*)ag, null, (float*)am, (float*)asd, (float*)adx, (float*)adg, (float*)adb, relu: false), 12.0 * n),
                ("relu forward", () => ElementwiseKernels.ActivationForward(Activation.Relu, DataType.Float32, ay, adz, n, 0), 8.0 * n),
                ("relu backward", () => ElementwiseKernels.ActivationBackward(Activation.Relu, DataType.Float32, ay, ay, ady, adz, n, 0), 12.0 * n),
                ("bn+relu backward 512", () => BatchNormVector.Backward(layout, 0, c, (float*)ax, (float*)ady, (float*)ag, (float*)ab, (float*)am, (float*)asd, (float*)adx, (float*)adg, (float*)adb, relu: true), 12.0 * n),
            ];
            double[] best = QuickTiming.LeastMilliseconds(rounds, variants.Length, v => variants[v].Call());
            Console.WriteLine($"(128,16,32,32) float, one thread, least thread CPU ms of {rounds} calls");
            for (int v = 0; v < variants.Length; v++)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{variants[v].Name,-22} {best[v],8:F3} ms {variants[v].Bytes / best[v] / 1e6,7:F1} GB/s"));
            }
            double Best(string name) => best[Array.FindIndex(variants, v => v.Name == name)];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bn then relu: forward {Best("bn forward 512") + Best("relu forward"):F3} ms, fused {Best("bn+relu forward 512"):F3}; backward {Best("relu backward") + Best("bn backward 512"):F3} ms, fused {Best("bn+relu backward 512"):F3}"));
        }
        WorkerPool.Width = width;
    }
}
