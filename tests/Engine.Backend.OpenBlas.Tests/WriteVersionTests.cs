namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// <see cref="TensorStorage.Version"/> through the backend: an op bumps exactly the tensors it writes (the contract
/// checks mark them), so caches keyed on a version see every write and no read invalidates them. Batch
/// normalisation's inference forward reads the running statistics (unchanged versions); its training forward writes them.
/// </summary>
public sealed class WriteVersionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void AnOpBumpsWhatItWritesAndNothingItReads()
    {
        using Tensor x = Filled(new Shape(2, 3, 6, 6), 0.5);
        using Tensor w = Filled(new Shape(4, 3, 3, 3), 0.25);
        using Tensor y = _backend.Allocate(new Shape(2, 4, 4, 4));
        (long xv, long wv, long yv) = (V(x), V(w), V(y));
        _backend.ConvolutionForward(new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1]), x, w, y);
        Assert.Equal((xv, wv), (V(x), V(w)));
        Assert.True(V(y) > yv);

        float[] host = new float[w.ElementCount];
        _backend.CopyToHost<float>(w, host);
        Assert.Equal(wv, V(w));
        _backend.CopyFromHost<float>(host, w);
        Assert.True(V(w) > wv);

        using Tensor view = w.Reshape(new Shape(4, 27)); // a view shares its storage's version
        long before = V(w);
        _backend.Fill(view, 1);
        Assert.True(V(w) > before);

        using Tensor gradient = Filled(new Shape(4, 3, 3, 3), 0.1);
        (long value, long grad) = (V(w), V(gradient));
        _backend.OptimizerUpdate(UpdateRule.Sgd, new UpdateHyperparameters { LearningRate = 0.1 }, w, gradient, null, null, null);
        Assert.True(V(w) > value);
        Assert.Equal(grad, V(gradient));
    }

    [Fact]
    public void BatchNormWritesItsRunningStatisticsInTrainingOnly()
    {
        using Tensor x = Filled(new Shape(4, 3, 2, 2), 0.5);
        using Tensor y = _backend.Allocate(x.Shape);
        Tensor[] vectors = [.. Enumerable.Range(0, 6).Select(_ => Filled(new Shape(3), 1))];
        try
        {
            Tensor gamma = vectors[0], beta = vectors[1], mean = vectors[2], variance = vectors[3], savedMean = vectors[4], savedInvStd = vectors[5];
            (long m, long v, long g) = (V(mean), V(variance), V(gamma));
            _backend.BatchNormForward(x, gamma, beta, mean, variance, savedMean, savedInvStd, y, 1e-5, 0.1, training: false);
            Assert.Equal((m, v, g), (V(mean), V(variance), V(gamma)));
            _backend.BatchNormForward(x, gamma, beta, mean, variance, savedMean, savedInvStd, y, 1e-5, 0.1, training: true);
            Assert.True(V(mean) > m && V(variance) > v);
            Assert.Equal(g, V(gamma));
        }
        finally
        {
            Array.ForEach(vectors, t => t.Dispose());
        }
    }

    private static long V(Tensor t) => t.Storage.Version;

    private Tensor Filled(Shape shape, double value)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.Fill(t, value);
        return t;
    }
}
