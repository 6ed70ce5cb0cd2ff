namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Batch norm + ReLU in one pass each way (<see cref="OpenBlasBackend.BatchNormReluForward"/>,
/// <see cref="OpenBlasBackend.BatchNormReluBackward"/>) against the two layers' calls: batch norm forward
/// then ReLU forward, and ReLU backward (reading the output) then batch norm backward, bit for bit, at
/// one and two threads, on planes with and without a 16-float tail, with channels that produce −0
/// before the ReLU (γ = 0, β = −0), a NaN, and a negative γ.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed class BatchNormReluTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly int _width = WorkerPool.Width;
    private readonly bool _fusion = OpenBlasBackend.BatchNormReluFusion;

    public void Dispose()
    {
        WorkerPool.Width = _width;
        OpenBlasBackend.BatchNormReluFusion = _fusion;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int[], int> Shapes => new()
    {
        // batch, channels, spatial dimensions, threads
        { 4, 6, [5, 5], 1 },
        { 4, 6, [5, 5], 2 },
        { 3, 16, [32, 32], 2 },
        { 5, 7, [4, 4], 1 },
        { 9, 5, [], 2 },    // N×C (after a dense layer)
        { 2, 4, [7, 3], 2 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void OnePassEachWayGivesTheTwoLayersBits(int batch, int channels, int[] spatial, int threads)
    {
        OpenBlasBackend.BatchNormReluFusion = true;
        if (!_backend.FusesBatchNormRelu(DataType.Float32))
        {
            return; // fused on the 512-bit path only (AVX-512, ENGINE_BATCH_NORM not plain)
        }
        WorkerPool.Width = threads;
        var shape = new Shape([batch, channels, .. spatial]);
        int count = (int)shape.ElementCount, planes = count / (batch * channels);
        var rng = new Random(31 + count);
        float[] x = Values(rng, count, 1.5f, 0.3f), dy = Values(rng, count, 1f, 0f);
        float[] gamma = Values(rng, channels, 0.5f, 1f), beta = Values(rng, channels, 0.8f, 0f);
        gamma[0] = 0;
        beta[0] = -0f; // x·0 + (−0): −0 where x < 0, which ReLU turns into +0
        if (channels > 2)
        {
            x[(2 * planes) + 1] = float.NaN; // sample 0, channel 2: the channel's statistics and output are NaN
            gamma[1] = -0.7f;
        }
        using Tensor tx = Upload(x, shape), tdy = Upload(dy, shape), tg = Upload(gamma, new Shape(channels)), tb = Upload(beta, new Shape(channels));
        (float[] y, float[] dx, float[] dg, float[] db, float[] stats) separate = Run(tx, tdy, tg, tb, fused: false);
        (float[] y, float[] dx, float[] dg, float[] db, float[] stats) fused = Run(tx, tdy, tg, tb, fused: true);
        AssertBits(separate.y, fused.y, "y");
        AssertBits(separate.stats, fused.stats, "saved and running statistics");
        AssertBits(separate.dx, fused.dx, "dx");
        AssertBits(separate.dg, fused.dg, "dγ");
        AssertBits(separate.db, fused.db, "dβ");
        Assert.Contains(fused.y, v => v == 0 && !float.IsNegative(v));
        Assert.Contains(fused.y, v => v > 0);
        Assert.Contains(fused.dx, v => v != 0 && float.IsFinite(v));
    }

    [Fact]
    public void SwitchedOffTheBackendDoesNotClaimItAndForwardStillComputesTheTwoSteps()
    {
        OpenBlasBackend.BatchNormReluFusion = false;
        Assert.False(_backend.FusesBatchNormRelu(DataType.Float32));
        Assert.False(_backend.FusesBatchNormRelu(DataType.Float64));
        var shape = new Shape(3, 2, 4);
        var rng = new Random(5);
        using Tensor x = Upload(Values(rng, 24, 1, 0), shape), g = Upload([1, 2], new Shape(2)), b = Upload([0.1f, -0.2f], new Shape(2));
        using Tensor rm = _backend.Allocate(new Shape(2)), rv = _backend.Allocate(new Shape(2)), m = _backend.Allocate(new Shape(2)), s = _backend.Allocate(new Shape(2));
        using Tensor y = _backend.Allocate(shape), expected = _backend.Allocate(shape);
        _backend.BatchNormForward(x, g, b, rm, rv, m, s, expected, 1e-5, 0.1, training: true);
        _backend.ActivationForward(Activation.Relu, expected, expected);
        _backend.BatchNormReluForward(x, g, b, rm, rv, m, s, y, 1e-5, 0.1);
        AssertBits(expected.ToArray(), y.ToArray(), "y");
        using Tensor dx = _backend.Allocate(shape), dg = _backend.Allocate(new Shape(2)), db = _backend.Allocate(new Shape(2));
        Assert.Throws<NotSupportedException>(() => _backend.BatchNormReluBackward(x, y, x, g, b, m, s, dx, dg, db));
    }

    private (float[] Y, float[] Dx, float[] DGamma, float[] DBeta, float[] Statistics) Run(Tensor x, Tensor dy, Tensor gamma, Tensor beta, bool fused)
    {
        var channels = new Shape(gamma.Shape[0]);
        using Tensor runningMean = Upload(Enumerable.Repeat(0.25f, channels[0]).ToArray(), channels);
        using Tensor runningVariance = Upload(Enumerable.Repeat(1.5f, channels[0]).ToArray(), channels);
        using Tensor mean = _backend.Allocate(channels), invStd = _backend.Allocate(channels), dGamma = _backend.Allocate(channels), dBeta = _backend.Allocate(channels);
        using Tensor y = _backend.Allocate(x.Shape), dx = _backend.Allocate(x.Shape);
        if (fused)
        {
            _backend.BatchNormReluForward(x, gamma, beta, runningMean, runningVariance, mean, invStd, y, 1e-5, 0.1);
            _backend.BatchNormReluBackward(x, y, dy, gamma, beta, mean, invStd, dx, dGamma, dBeta);
        }
        else
        {
            using Tensor z = _backend.Allocate(x.Shape), dz = _backend.Allocate(x.Shape);
            _backend.BatchNormForward(x, gamma, beta, runningMean, runningVariance, mean, invStd, z, 1e-5, 0.1, training: true);
            _backend.ActivationForward(Activation.Relu, z, y);
            _backend.ActivationBackward(Activation.Relu, y, y, dy, dz); // the ReLU layer keeps only its output
            _backend.BatchNormBackward(x, dz, gamma, mean, invStd, dx, dGamma, dBeta);
        }
        float[] statistics = [.. mean.ToArray(), .. invStd.ToArray(), .. runningMean.ToArray(), .. runningVariance.ToArray()];
        return (y.ToArray(), dx.ToArray(), dGamma.ToArray(), dBeta.ToArray(), statistics);
    }

    private static float[] Values(Random rng, int count, float range, float offset) =>
        Enumerable.Range(0, count).Select(_ => offset + (range * (float)((2 * rng.NextDouble()) - 1))).ToArray();

    private Tensor Upload(float[] values, Shape shape)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(values, t);
        return t;
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}]: layer by layer {expected[i]:R} (0x{BitConverter.SingleToInt32Bits(expected[i]):x8}), fused {actual[i]:R} (0x{BitConverter.SingleToInt32Bits(actual[i]):x8})");
            }
        }
    }
}
