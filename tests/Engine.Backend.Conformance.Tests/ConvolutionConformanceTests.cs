namespace Engine.Backend.Conformance.Tests;

/// <summary>
/// Convolution and locally connected ops of every backend against <see cref="ReferenceConvolution"/>.
/// Outputs are filled with NaN before each call, so a backend that accumulates into them instead of
/// overwriting them fails.
/// </summary>
public sealed class ConvolutionConformanceTests
{
    public static TheoryData<string, DataType> Cases => Backends.For(BackendOp.Convolution);

    public static TheoryData<string, DataType> LocallyConnectedCases => Backends.For(BackendOp.LocallyConnected);

    /// <summary>A named convolution problem: input shape, filters and geometry.</summary>
    private sealed record Problem(string Name, Shape Input, int Filters, ConvolutionGeometry Geometry);

    private static ConvolutionGeometry Geometry(int[] kernel, int[]? stride = null, int[]? padBefore = null, int[]? padAfter = null, int[]? dilation = null, int groups = 1)
    {
        int[] ones = kernel.Select(_ => 1).ToArray(), zeros = new int[kernel.Length];
        return new ConvolutionGeometry(kernel, stride ?? ones, padBefore ?? zeros, padAfter ?? padBefore ?? zeros, dilation ?? ones, groups);
    }

    private static readonly Problem[] Problems =
    [
        new("2-D 3x3 same padding", new Shape(2, 3, 7, 6), 4, Geometry([3, 3], padBefore: [1, 1])),
        new("2-D stride 2, asymmetric padding, dilation 2x1", new Shape(2, 2, 9, 8), 3, Geometry([3, 2], [2, 2], [0, 1], [2, 0], [2, 1])),
        new("2-D groups 2", new Shape(1, 4, 5, 7), 6, Geometry([3, 3], [1, 2], [1, 0], [1, 1], groups: 2)),
        new("2-D depthwise, multiplier 2", new Shape(2, 3, 6, 5), 6, Geometry([3, 3], [2, 1], [1, 1], [1, 1], groups: 3)),
        new("2-D pointwise 1x1", new Shape(2, 5, 4, 3), 3, Geometry([1, 1])),
        new("2-D pointwise 1x1 groups 5", new Shape(2, 5, 4, 3), 5, Geometry([1, 1], groups: 5)),
        new("2-D 1x1 stride 2", new Shape(1, 3, 5, 5), 2, Geometry([1, 1], [2, 2])),
        new("2-D window covers padding only at the edges", new Shape(1, 2, 2, 3), 2, Geometry([5, 5], padBefore: [2, 2])),
        new("1-D stride 3, padding 2/1, dilation 2", new Shape(2, 2, 11), 3, Geometry([4], [3], [2], [1], [2])),
        new("1-D groups 2", new Shape(3, 4, 9), 2, Geometry([3], groups: 2)),
        new("3-D mixed", new Shape(1, 2, 4, 5, 3), 3, Geometry([2, 3, 2], [1, 2, 1], [1, 0, 1], [0, 1, 1], [1, 1, 2])),
        new("3-D depthwise", new Shape(2, 2, 3, 4, 4), 2, Geometry([3, 3, 3], [1, 1, 2], [1, 1, 1], [1, 1, 1], groups: 2)),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvolutionMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        foreach (Problem problem in Problems)
        {
            CheckConvolution(backend, type, problem);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvolutionStaysRightWhenScratchMemoryGrowsAndShrinks(string backendName, DataType type)
    {
        // One backend, calls whose column matrices go small → large → small → large, and the other
        // data type in between (a cached buffer sized in elements of one type would be too small for
        // the other).
        using IBackend backend = Backends.Create(backendName);
        DataType other = type == DataType.Float32 ? DataType.Float64 : DataType.Float32;
        Problem small = new("small", new Shape(1, 1, 4, 4), 1, Geometry([2, 2]));
        Problem large = new("large", new Shape(2, 3, 12, 11), 2, Geometry([5, 5], padBefore: [2, 2]));
        foreach (Problem problem in new[] { small, large, small, large, small })
        {
            CheckConvolution(backend, type, problem);
            if (backend.Supports(BackendOp.Convolution, other))
            {
                CheckConvolution(backend, other, problem with { Name = problem.Name + " (" + other + ")" });
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ConvolutionRejectsMismatchedShapes(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        ConvolutionGeometry g = Geometry([3, 3]);
        using Tensor x = backend.Allocate(new Shape(2, 3, 6, 6), type);
        using Tensor w = backend.Allocate(new Shape(4, 2, 3, 3), type);      // should be 4×3×3×3
        using Tensor goodW = backend.Allocate(new Shape(4, 3, 3, 3), type);
        using Tensor y = backend.Allocate(new Shape(2, 4, 5, 4), type);      // should be 2×4×4×4
        using Tensor goodY = backend.Allocate(new Shape(2, 4, 4, 4), type);
        Assert.Throws<ShapeException>(() => backend.ConvolutionForward(g, x, w, goodY));
        Assert.Throws<ShapeException>(() => backend.ConvolutionForward(g, x, goodW, y));
        Assert.Throws<ShapeException>(() => backend.ConvolutionBackwardData(g, y, goodW, x));
        Assert.Throws<ShapeException>(() => backend.ConvolutionBackwardFilter(g, x, goodY, w));
        Assert.Throws<ShapeException>(() => backend.ConvolutionForward(Geometry([3]), x, goodW, goodY));
    }

    [Theory]
    [MemberData(nameof(LocallyConnectedCases))]
    public void LocallyConnectedMatchesTheReference(string backendName, DataType type)
    {
        using IBackend backend = Backends.Create(backendName);
        Problem[] problems =
        [
            new("3x3 valid", new Shape(2, 3, 5, 4), 2, Geometry([3, 3])),
            new("2x3 stride 2, padding 1/0 and 0/2", new Shape(3, 2, 6, 5), 4, Geometry([2, 3], [2, 2], [1, 0], [0, 2])),
            new("1x1 single sample", new Shape(1, 4, 3, 3), 3, Geometry([1, 1])),
            new("dilation 2", new Shape(2, 1, 7, 6), 2, Geometry([2, 2], dilation: [2, 2])),
        ];
        foreach (Problem p in problems)
        {
            ConvolutionGeometry g = p.Geometry;
            Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
            Shape wShape = ReferenceConvolution.LocallyConnectedWeightShape(g, p.Input, p.Filters);
            double[] xv = TensorData.Random((int)p.Input.ElementCount, 1, type);
            double[] wv = TensorData.Random((int)wShape.ElementCount, 2, type);
            double[] dyv = TensorData.Random((int)yShape.ElementCount, 3, type);
            using Tensor x = TensorData.Upload(backend, p.Input, xv, type);
            using Tensor w = TensorData.Upload(backend, wShape, wv, type);
            using Tensor dy = TensorData.Upload(backend, yShape, dyv, type);
            using Tensor y = Garbage(backend, yShape, type);
            using Tensor dx = Garbage(backend, p.Input, type);
            using Tensor dw = Garbage(backend, wShape, type);

            backend.LocallyConnectedForward(g, x, w, y);
            TensorData.AssertClose(ReferenceConvolution.LocallyConnectedForward(g, p.Input, xv, p.Filters, wv), TensorData.Download(y), type, $"{p.Name}: y");
            backend.LocallyConnectedBackwardData(g, dy, w, dx);
            TensorData.AssertClose(ReferenceConvolution.LocallyConnectedBackwardData(g, p.Input, p.Filters, wv, dyv), TensorData.Download(dx), type, $"{p.Name}: dx");
            backend.LocallyConnectedBackwardFilter(g, x, dy, dw);
            TensorData.AssertClose(ReferenceConvolution.LocallyConnectedBackwardFilter(g, p.Input, xv, p.Filters, dyv), TensorData.Download(dw), type, $"{p.Name}: dw");
        }
    }

    private static void CheckConvolution(IBackend backend, DataType type, Problem p)
    {
        ConvolutionGeometry g = p.Geometry;
        Shape yShape = ReferenceConvolution.OutputShape(g, p.Input, p.Filters);
        Shape wShape = ReferenceConvolution.WeightShape(g, p.Input, p.Filters);
        double[] xv = TensorData.Random((int)p.Input.ElementCount, 11, type);
        double[] wv = TensorData.Random((int)wShape.ElementCount, 12, type);
        double[] dyv = TensorData.Random((int)yShape.ElementCount, 13, type);
        using Tensor x = TensorData.Upload(backend, p.Input, xv, type);
        using Tensor w = TensorData.Upload(backend, wShape, wv, type);
        using Tensor dy = TensorData.Upload(backend, yShape, dyv, type);
        using Tensor y = Garbage(backend, yShape, type);
        using Tensor dx = Garbage(backend, p.Input, type);
        using Tensor dw = Garbage(backend, wShape, type);

        backend.ConvolutionForward(g, x, w, y);
        TensorData.AssertClose(ReferenceConvolution.Forward(g, p.Input, xv, wShape, wv), TensorData.Download(y), type, $"{p.Name} ({g}): y");
        backend.ConvolutionBackwardData(g, dy, w, dx);
        TensorData.AssertClose(ReferenceConvolution.BackwardData(g, p.Input, wShape, wv, dyv), TensorData.Download(dx), type, $"{p.Name} ({g}): dx");
        backend.ConvolutionBackwardFilter(g, x, dy, dw);
        TensorData.AssertClose(ReferenceConvolution.BackwardFilter(g, p.Input, xv, wShape, dyv), TensorData.Download(dw), type, $"{p.Name} ({g}): dw");
    }

    private static Tensor Garbage(IBackend backend, Shape shape, DataType type)
    {
        Tensor t = backend.Allocate(shape, type);
        backend.Fill(t, double.NaN);
        return t;
    }
}
