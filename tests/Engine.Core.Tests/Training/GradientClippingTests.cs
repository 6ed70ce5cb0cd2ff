namespace Engine.Core.Tests.Training;

public sealed class GradientClippingTests
{
    private static Parameter NewParameter(IBackend backend, string name, double[] gradient) =>
        new(name, TestEngine.Upload(backend, new Shape(gradient.Length), new double[gradient.Length]), TestEngine.Upload(backend, new Shape(gradient.Length), gradient));

    private static double[] Gradient(Parameter p) => TestEngine.Download(p.Gradient).Select(v => Math.Round(v, 12)).ToArray();

    [Fact]
    public void GlobalNormClippingScalesEveryGradientByMaxNormOverNorm()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter a = NewParameter(backend, "a", [3, -4]);
        using Parameter b = NewParameter(backend, "b", [12]);
        using var clipping = new GradientClipping(maxNorm: 6.5);
        clipping.Apply([a, b]);
        Assert.Equal(13, clipping.LastNorm, 12); // √(9 + 16 + 144)
        Assert.Equal([1.5, -2], Gradient(a));
        Assert.Equal([6], Gradient(b));
    }

    [Fact]
    public void NormBelowTheLimitLeavesGradientsAlone()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter a = NewParameter(backend, "a", [3, -4]);
        using var clipping = new GradientClipping(maxNorm: 5.5);
        clipping.Apply([a]);
        Assert.Equal(5, clipping.LastNorm, 12);
        Assert.Equal([3, -4], Gradient(a));
    }

    [Fact]
    public void ValueClippingThenNormClippingSkippingFrozenParameters()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter a = NewParameter(backend, "a", [3, -4, 0.5]);
        using Parameter b = NewParameter(backend, "b", [12]);
        using Parameter frozen = NewParameter(backend, "frozen", [100, -100]);
        frozen.Frozen = true;
        using var byValue = new GradientClipping(maxValue: 3.5);
        byValue.Apply([a, b, frozen]);
        Assert.True(double.IsNaN(byValue.LastNorm));
        Assert.Equal([3, -3.5, 0.5], Gradient(a));
        Assert.Equal([3.5], Gradient(b));
        Assert.Equal([100, -100], Gradient(frozen));

        using var both = new GradientClipping(maxNorm: 1, maxValue: 3);
        both.Apply([a, b, frozen]); // values → [3, −3, 0.5], [3]; norm √27.25
        double norm = both.LastNorm;
        Assert.Equal(Math.Sqrt(27.25), norm, 12);
        double s = 1 / Math.Sqrt(27.25);
        Assert.Equal(new[] { 3 * s, -3 * s, 0.5 * s }.Select(v => Math.Round(v, 12)), Gradient(a));
        Assert.Equal([100, -100], Gradient(frozen));
    }

    [Fact]
    public void Float32GradientsAreClippedToo()
    {
        using IBackend backend = TestEngine.CreateBackend();
        Tensor value = backend.Allocate(new Shape(2)), gradient = backend.Allocate(new Shape(2));
        backend.CopyFromHost<float>([30f, 40f], gradient);
        using var p = new Parameter("p", value, gradient);
        using var clipping = new GradientClipping(maxNorm: 10);
        clipping.Apply([p]);
        Assert.Equal(50, clipping.LastNorm, 5);
        var host = new float[2];
        backend.CopyToHost<float>(gradient, host);
        Assert.Equal([6f, 8f], host);
    }

    [Fact]
    public void NonPositiveLimitsAreConfigurationErrors()
    {
        Assert.Contains("max norm", Assert.Throws<ConfigurationException>(() => new GradientClipping(maxNorm: 0)).Message);
        Assert.Contains("-1", Assert.Throws<ConfigurationException>(() => new GradientClipping(maxValue: -1)).Message);
    }

    [Fact]
    public void ASteadyStateStepAllocatesNothingBeyondTheBackendCallsItMakes()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Parameter a = NewParameter(backend, "a", TestEngine.RandomValues(1000, 1));
        using Parameter b = NewParameter(backend, "b", TestEngine.RandomValues(10, 2));
        using var clipping = new GradientClipping(maxNorm: 1, maxValue: 0.5);
        Parameter[] parameters = [a, b];
        clipping.Apply(parameters);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            clipping.Apply(parameters);
        }
        long clipped = GC.GetAllocatedBytesForCurrentThread() - before;

        // The same backend calls made directly (the backend may allocate, e.g. formatting op names).
        using Tensor scalar = backend.Allocate(new Shape(1), DataType.Float64);
        Span<Tensor> ops = [a.Gradient, b.Gradient];
        backend.Binary(BinaryOp.Min, a.Gradient, a.Gradient, a.Gradient);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            foreach (Tensor g in ops)
            {
                backend.Binary(BinaryOp.Min, g, g, g);
                backend.Binary(BinaryOp.Max, g, g, g);
            }
            foreach (Tensor g in ops)
            {
                backend.SumOfSquares(g, scalar, 1);
            }
            foreach (Tensor g in ops)
            {
                backend.ClipToNorm(scalar, 1, g);
            }
        }
        long direct = GC.GetAllocatedBytesForCurrentThread() - before;
        // 16 KiB over 1000 steps: one object per step (24 bytes at least, 24 KB in all) still fails it, while a one-off
        // allocation (8 KiB was seen once in CI with the steady worker pool, in one of two passes, cause not
        // found) does not.
        Assert.True(clipped <= direct + 16 * 1024, $"clipping allocated {clipped} bytes over 1000 steps; its backend calls alone {direct}");
    }

    [Fact]
    public void ClippingByNormMakesNoHostReadUntilTheNormIsAskedFor()
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new CountingBackend(inner);
        using Parameter a = NewParameter(backend, "a", [30, 40]);
        using var clipping = new GradientClipping(maxNorm: 10, maxValue: 100);
        for (int i = 0; i < 5; i++)
        {
            clipping.Apply([a]);
        }
        Assert.Equal(0, backend.HostSyncs);
        Assert.Equal(10, clipping.LastNorm, 9); // the fifth call measured the already clipped [6, 8]
        Assert.Equal(1, backend.HostReads);
    }
}
