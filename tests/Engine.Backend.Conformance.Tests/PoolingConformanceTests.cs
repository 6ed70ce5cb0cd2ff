namespace Engine.Backend.Conformance.Tests;

public sealed class PoolingConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.Pooling);

    /// <summary>Input shape, window, stride, padding before/after, dilation: the shapes every backend must agree on.</summary>
    private static readonly (int[] X, int[] Kernel, int[] Stride, int[] Before, int[] After, int[] Dilation)[] Geometries =
    [
        ([2, 3, 6, 7], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),          // 2×2 stride 2, odd width
        ([2, 2, 5, 19], [2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),         // 2×2 stride 2, rows long enough for vector kernels
        ([2, 2, 7, 7], [3, 3], [2, 2], [1, 1], [1, 1], [1, 1]),          // overlapping, padded
        ([1, 2, 5, 6], [3, 2], [1, 2], [0, 1], [2, 0], [1, 1]),          // asymmetric padding
        ([2, 3, 9], [3], [2], [1], [1], [1]),                            // 1-D
        ([1, 2, 4, 5, 3], [2, 3, 2], [1, 2, 1], [1, 0, 0], [0, 1, 1], [1, 1, 1]), // 3-D
        ([1, 2, 7, 7], [2, 2], [1, 2], [0, 1], [1, 1], [2, 2]),          // dilated
        ([1, 1, 3, 3], [2, 2], [2, 2], [2, 2], [2, 2], [1, 1]),          // windows that hold only padding
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ForwardAndBackwardMatchTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        ulong seed = 1;
        foreach (var (xShape, kernel, stride, before, after, dilation) in Geometries)
        {
            var window = new ConvolutionGeometry(kernel, stride, before, after, dilation);
            int[] yShape = ReferencePooling.OutputShape(window, xShape);
            foreach (var geometry in new[]
            {
                new PoolingGeometry(PoolingMode.Max, window),
                new PoolingGeometry(PoolingMode.Average, window, CountIncludePad: false),
                new PoolingGeometry(PoolingMode.Average, window, CountIncludePad: true),
            })
            {
                string what = $"{geometry.Mode} pooling of [{string.Join(", ", xShape)}] (include pad {geometry.CountIncludePad}), {window}";
                double[] x = TensorData.Random(xShape.Aggregate(1, (a, b) => a * b), seed++, type);
                double[] dy = TensorData.Random(yShape.Aggregate(1, (a, b) => a * b), seed++, type);
                using Tensor tx = TensorData.Upload(backend, new Shape(xShape), x, type);
                using Tensor ty = backend.Allocate(new Shape(yShape), type);
                using Tensor tdy = TensorData.Upload(backend, new Shape(yShape), dy, type);
                using Tensor tdx = TensorData.Upload(backend, new Shape(xShape), Enumerable.Repeat(double.NaN, x.Length).ToArray(), type);
                backend.PoolingForward(geometry, tx, ty);
                TensorData.AssertClose(ReferencePooling.Forward(geometry, xShape, x), TensorData.Download(ty), type, what + " forward");
                backend.PoolingBackward(geometry, tx, ty, tdy, tdx);
                TensorData.AssertClose(ReferencePooling.Backward(geometry, xShape, x, dy), TensorData.Download(tdx), type, what + " backward");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TiesGoToTheFirstMaximum(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        var geometry = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        using Tensor x = TensorData.Upload(backend, new Shape(1, 1, 2, 4), [5, 5, 1, 2, 5, 5, 2, 2], type);
        using Tensor y = backend.Allocate(new Shape(1, 1, 1, 2), type);
        using Tensor dy = TensorData.Upload(backend, new Shape(1, 1, 1, 2), [1, 3], type);
        using Tensor dx = backend.Allocate(new Shape(1, 1, 2, 4), type);
        backend.PoolingForward(geometry, x, y);
        backend.PoolingBackward(geometry, x, y, dy, dx);
        // Window 1 is all 5s: the first takes dy. Window 2 is 1, 2 / 2, 2: the first 2 (row 0) takes it.
        Assert.Equal([1, 0, 0, 3, 0, 0, 0, 0], TensorData.Download(dx));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ManyTiesResolveLikeTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        // Values from {0, 1, 2}: most windows hold ties, in every position, in vector and scalar code.
        foreach (var window in new[]
        {
            new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]),
            new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]),
        })
        {
            var geometry = new PoolingGeometry(PoolingMode.Max, window);
            int[] xShape = [3, 2, 8, 21];
            int[] yShape = ReferencePooling.OutputShape(window, xShape);
            double[] x = Enumerable.Range(0, 3 * 2 * 8 * 21).Select(i => Math.Floor(3 * CounterRandom.Uniform(5, (ulong)i))).ToArray();
            double[] dy = TensorData.Random(yShape.Aggregate(1, (a, b) => a * b), 6, type);
            using Tensor tx = TensorData.Upload(backend, new Shape(xShape), x, type);
            using Tensor ty = backend.Allocate(new Shape(yShape), type);
            using Tensor tdy = TensorData.Upload(backend, new Shape(yShape), dy, type);
            using Tensor tdx = backend.Allocate(new Shape(xShape), type);
            backend.PoolingForward(geometry, tx, ty);
            backend.PoolingBackward(geometry, tx, ty, tdy, tdx);
            Assert.Equal(ReferencePooling.Forward(geometry, xShape, x), TensorData.Download(ty));
            // Overlapping windows add gradients in the element type, hence a tolerance for dx.
            TensorData.AssertClose(ReferencePooling.Backward(geometry, xShape, x, dy), TensorData.Download(tdx), type, $"ties, {window}, dx");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void WrongOutputShapesAreNamed(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        var geometry = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1]));
        using Tensor x = backend.Allocate(new Shape(2, 3, 6, 6), type);
        using Tensor y = backend.Allocate(new Shape(2, 3, 2, 3), type);
        var e = Assert.Throws<ShapeException>(() => backend.PoolingForward(geometry, x, y));
        Assert.Contains("PoolingForward", e.Message);
        Assert.Contains("[2, 3, 3, 3]", e.Message);
        Assert.Contains("[2, 3, 2, 3]", e.Message);
    }
}
