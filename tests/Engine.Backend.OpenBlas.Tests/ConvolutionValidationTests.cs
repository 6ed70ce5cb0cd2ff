namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// What the OpenBLAS convolution ops say about bad shapes, and how they keep their scratch memory.
/// Numerical correctness is in the conformance tests.
/// </summary>
public sealed class ConvolutionValidationTests : IDisposable
{
    private static readonly ConvolutionGeometry Square5 = new([5, 5], [1, 1], [0, 0], [0, 0], [1, 1]);
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    [Fact]
    public void FiltersThatDoNotMatchTheChannelsAreNamed()
    {
        using Tensor x = _backend.Allocate(new Shape(2, 3, 9, 9));
        using Tensor w = _backend.Allocate(new Shape(6, 2, 5, 5));
        using Tensor y = _backend.Allocate(new Shape(2, 6, 5, 5));
        var error = Assert.Throws<ShapeException>(() => _backend.ConvolutionForward(Square5, x, w, y));
        Assert.Equal("ConvolutionForward: w is [6, 2, 5, 5] but x has 3 channels and groups 1 (expected [K, 3, 5, 5])", error.Message);
    }

    [Fact]
    public void AWrongOutputShapeIsNamedWithTheExpectedOne()
    {
        using Tensor x = _backend.Allocate(new Shape(2, 3, 9, 9));
        using Tensor w = _backend.Allocate(new Shape(6, 3, 5, 5));
        using Tensor y = _backend.Allocate(new Shape(2, 6, 9, 9));
        var error = Assert.Throws<ShapeException>(() => _backend.ConvolutionForward(Square5, x, w, y));
        Assert.StartsWith("ConvolutionForward: y is [2, 6, 9, 9] but expected [2, 6, 5, 5] (batch 2, 6 channels from w, output size from kernel 5x5", error.Message);
    }

    [Fact]
    public void BackwardOpsNameTheirOwnOperands()
    {
        using Tensor x = _backend.Allocate(new Shape(2, 3, 9, 9));
        using Tensor w = _backend.Allocate(new Shape(6, 3, 5, 5));
        using Tensor dy = _backend.Allocate(new Shape(2, 6, 4, 5));
        var data = Assert.Throws<ShapeException>(() => _backend.ConvolutionBackwardData(Square5, dy, w, x));
        Assert.StartsWith("ConvolutionBackwardData: dy is [2, 6, 4, 5] but expected [2, 6, 5, 5]", data.Message);
        var filter = Assert.Throws<ShapeException>(() => _backend.ConvolutionBackwardFilter(Square5, x, dy, w));
        Assert.StartsWith("ConvolutionBackwardFilter: dy is [2, 6, 4, 5] but expected [2, 6, 5, 5]", filter.Message);
    }

    [Fact]
    public void GroupsThatDoNotDivideAreNamed()
    {
        var grouped = new ConvolutionGeometry([3], [1], [0], [0], [1], groups: 2);
        using Tensor x = _backend.Allocate(new Shape(1, 3, 8));
        using Tensor w = _backend.Allocate(new Shape(4, 1, 3));
        using Tensor y = _backend.Allocate(new Shape(1, 4, 6));
        var error = Assert.Throws<ShapeException>(() => _backend.ConvolutionForward(grouped, x, w, y));
        Assert.Equal("ConvolutionForward: x is [1, 3, 8] with 3 channels, which groups 2 does not divide", error.Message);

        using Tensor x4 = _backend.Allocate(new Shape(1, 4, 8));
        using Tensor w3 = _backend.Allocate(new Shape(3, 2, 3));
        var filters = Assert.Throws<ShapeException>(() => _backend.ConvolutionForward(grouped, x4, w3, y));
        Assert.Equal("ConvolutionForward: w is [3, 2, 3] with 3 filters, which groups 2 does not divide", filters.Message);
    }

    [Fact]
    public void AWindowLargerThanThePaddedInputIsNamed()
    {
        using Tensor x = _backend.Allocate(new Shape(1, 1, 4, 9));
        using Tensor w = _backend.Allocate(new Shape(1, 1, 5, 5));
        using Tensor y = _backend.Allocate(new Shape(1, 1, 1, 5));
        var error = Assert.Throws<ShapeException>(() => _backend.ConvolutionForward(Square5, x, w, y));
        Assert.Equal("ConvolutionForward: x is [1, 1, 4, 9], spatial axis 0: window of 5 (kernel 5, dilation 1) is larger than the padded input 4 (4 + 0 + 0)", error.Message);
    }

    [Fact]
    public void LocallyConnectedNamesTheWeightLayout()
    {
        var g = new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1]);
        using Tensor x = _backend.Allocate(new Shape(2, 3, 5, 6));
        using Tensor w = _backend.Allocate(new Shape(12, 4, 9));
        using Tensor y = _backend.Allocate(new Shape(2, 4, 3, 4));
        var error = Assert.Throws<ShapeException>(() => _backend.LocallyConnectedForward(g, x, w, y));
        Assert.Equal("LocallyConnectedForward: w is [12, 4, 9] but expected [12, K, 27] (P = out_h·out_w = 3·4 positions, C·kh·kw = 3·3·3 for x [2, 3, 5, 6])", error.Message);
        var grouped = new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1], groups: 3);
        Assert.Throws<ShapeException>(() => _backend.LocallyConnectedForward(grouped, x, w, y));
    }

    [Fact]
    public void MixedDataTypesAndAliasedOutputsAreRefused()
    {
        using Tensor x = _backend.Allocate(new Shape(1, 1, 5, 5));
        using Tensor w = _backend.Allocate(new Shape(1, 1, 5, 5), DataType.Float64);
        using Tensor y = _backend.Allocate(new Shape(1, 1, 1, 1));
        Assert.Throws<ArgumentException>(() => _backend.ConvolutionForward(Square5, x, w, y));
        Tensor alias = x.Reshape(new Shape(1, 1, 5, 5)); // dw written over x
        var error = Assert.Throws<ArgumentException>(() => _backend.ConvolutionBackwardFilter(Square5, x, y, alias));
        Assert.Contains("share memory", error.Message);
    }

    [Fact]
    public void ScratchMemoryGrowsToTheLargestCallAndIsFreedWithTheBackend()
    {
        var backend = new OpenBlasBackend();
        var pointwise = new ConvolutionGeometry([1, 1], [1, 1], [0, 0], [0, 0], [1, 1]);
        var g = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        using Tensor x = backend.Allocate(new Shape(1, 2, 6, 6));
        using Tensor w1 = backend.Allocate(new Shape(3, 2, 1, 1));
        using Tensor w3 = backend.Allocate(new Shape(3, 2, 3, 3));
        using Tensor y = backend.Allocate(new Shape(1, 3, 6, 6));
        backend.Fill(x, 1);
        backend.Fill(w1, 1);
        backend.Fill(w3, 1);

        // Backward data: forward of shapes this small runs as a direct convolution on AVX-512 CPUs, without scratch.
        backend.ConvolutionBackwardData(pointwise, y, w1, x);
        Assert.Equal(0, backend.WorkspaceBytes); // a 1×1 window needs no column matrix
        backend.ConvolutionBackwardData(g, y, w3, x);
        Assert.Equal(2 * 9 * 36 * sizeof(float), backend.WorkspaceBytes); // C·kh·kw × out_h·out_w
        using Tensor small = backend.Allocate(new Shape(1, 1, 6, 6));
        using Tensor ws = backend.Allocate(new Shape(3, 1, 3, 3));
        backend.Fill(small, 1);
        backend.Fill(ws, 1);
        backend.ConvolutionBackwardData(g, y, ws, small);
        Assert.Equal(2 * 9 * 36 * sizeof(float), backend.WorkspaceBytes); // kept, not shrunk
        backend.Dispose();
        Assert.Equal(0, backend.WorkspaceBytes);
    }
}
