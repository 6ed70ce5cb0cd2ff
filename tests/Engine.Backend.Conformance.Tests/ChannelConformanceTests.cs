namespace Engine.Backend.Conformance.Tests;

public sealed class ChannelConformanceTests
{
    public static TheoryData<string, DataType> CopyCases => Backends.For(BackendOp.CopyChannels);

    public static TheoryData<string, DataType> ScaleCases => Backends.For(BackendOp.ScaleChannels);

    [Theory]
    [MemberData(nameof(CopyCases))]
    public void CopyChannelsCopiesTheRangeAndNothingElse(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        const int n = 3, sourceChannels = 5, destinationChannels = 4, spatial = 6;
        double[] source = TensorData.Random(n * sourceChannels * spatial, 71, type);
        double[] destination = TensorData.Random(n * destinationChannels * spatial, 72, type);
        using Tensor ts = TensorData.Upload(backend, new Shape(n, sourceChannels, 2, 3), source, type);
        foreach (var (from, to, count) in new[] { (1, 1, 3), (0, 2, 2), (4, 0, 1), (2, 3, 0) })
        {
            using Tensor td = TensorData.Upload(backend, new Shape(n, destinationChannels, 2, 3), destination, type);
            backend.CopyChannels(ts, from, td, to, count);
            double[] expected = (double[])destination.Clone();
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < count; c++)
                {
                    for (int s = 0; s < spatial; s++)
                    {
                        expected[(((i * destinationChannels) + to + c) * spatial) + s] = source[(((i * sourceChannels) + from + c) * spatial) + s];
                    }
                }
            }
            TensorData.AssertClose(expected, TensorData.Download(td), type, $"CopyChannels({from} → {to}, {count})");
        }
    }

    [Theory]
    [MemberData(nameof(CopyCases))]
    public void CopyChannelsWorksOnDenseActivations(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        // N×C with no spatial axes: concatenating feature vectors.
        using Tensor a = TensorData.Upload(backend, new Shape(2, 2), [1, 2, 3, 4], type);
        using Tensor b = TensorData.Upload(backend, new Shape(2, 1), [5, 6], type);
        using Tensor joined = backend.Allocate(new Shape(2, 3), type);
        backend.CopyChannels(a, 0, joined, 0, 2);
        backend.CopyChannels(b, 0, joined, 2, 1);
        Assert.Equal([1, 2, 5, 3, 4, 6], TensorData.Download(joined));
    }

    [Theory]
    [MemberData(nameof(CopyCases))]
    public void CopyChannelsRefusesRangesAndShapesThatDoNotFit(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        using Tensor source = backend.Allocate(new Shape(2, 5, 3), type);
        using Tensor destination = backend.Allocate(new Shape(2, 4, 3), type);
        using Tensor otherBatch = backend.Allocate(new Shape(3, 4, 3), type);
        using Tensor otherSpatial = backend.Allocate(new Shape(2, 4, 2), type);

        var range = Assert.ThrowsAny<ArgumentException>(() => backend.CopyChannels(source, 3, destination, 0, 3));
        Assert.Contains("3 channels from offset 3", range.Message);
        Assert.Contains("5 channels", range.Message);
        Assert.ThrowsAny<ArgumentException>(() => backend.CopyChannels(source, 0, destination, 2, 3));
        Assert.ThrowsAny<ArgumentException>(() => backend.CopyChannels(source, -1, destination, 0, 1));
        Assert.ThrowsAny<ArgumentException>(() => backend.CopyChannels(source, 0, destination, 0, -1));
        var batch = Assert.ThrowsAny<ShapeException>(() => backend.CopyChannels(source, 0, otherBatch, 0, 1));
        Assert.Contains("N = 2", batch.Message);
        Assert.Contains("N = 3", batch.Message);
        Assert.ThrowsAny<ShapeException>(() => backend.CopyChannels(source, 0, otherSpatial, 0, 1));
    }

    [Theory]
    [MemberData(nameof(ScaleCases))]
    public void ScaleChannelsMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        foreach (Shape shape in new[] { new Shape(3, 4, 5, 3), new Shape(6, 11) })
        {
            int n = shape[0], channels = shape[1], spatial = (int)(shape.ElementCount / (n * channels));
            double[] x = TensorData.Random((int)shape.ElementCount, 73, type);
            double[] scale = TensorData.Random(channels, 74, type);
            double[] expected = x.Select((v, i) => v * scale[(i / spatial) % channels]).ToArray();
            using Tensor tx = TensorData.Upload(backend, shape, x, type);
            using Tensor ts = TensorData.Upload(backend, new Shape(channels), scale, type);
            using Tensor ty = backend.Allocate(shape, type);
            backend.ScaleChannels(tx, ts, ty);
            TensorData.AssertClose(expected, TensorData.Download(ty), type, $"ScaleChannels {shape}");
            backend.ScaleChannels(tx, ts, tx);
            TensorData.AssertClose(expected, TensorData.Download(tx), type, $"ScaleChannels {shape} in place");
        }
    }

    [Theory]
    [MemberData(nameof(ScaleCases))]
    public void ScaleChannelsRefusesAScaleOfTheWrongLength(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        using Tensor x = backend.Allocate(new Shape(2, 3, 4), type);
        using Tensor scale = backend.Allocate(new Shape(4), type);
        var error = Assert.ThrowsAny<ShapeException>(() => backend.ScaleChannels(x, scale, x));
        Assert.Contains("3 channels", error.Message);
    }
}
