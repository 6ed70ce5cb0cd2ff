namespace Engine.Layers.Standard.Tests;

public sealed class ConvolutionLayerTests
{
    /// <summary>Small problems (a few hundred elements in all) covering every geometry feature.</summary>
    public static TheoryData<string, string, int[], int> GradientCases => new()
    {
        { "conv2d", """{"filters": 3, "kernel": 3}""", [4, 5, 7], 2 },
        { "conv2d", """{"filters": 2, "kernel": [3, 2], "stride": 2, "padding": [[1, 0], [0, 2]]}""", [3, 6, 5], 2 },
        { "conv2d", """{"filters": 2, "kernel": 3, "stride": 2, "padding": "same"}""", [2, 5, 7], 2 },
        { "conv2d", """{"filters": 2, "kernel": 2, "dilation": [2, 1], "padding": 1}""", [2, 6, 5], 2 },
        { "conv2d", """{"filters": 4, "kernel": 3, "groups": 2, "padding": [1, 0]}""", [4, 5, 7], 2 },
        { "conv2d", """{"filters": 4, "kernel": 3, "groups": 4, "stride": [1, 2], "padding": "same"}""", [4, 5, 7], 2 },
        { "conv2d", """{"filters": 3, "kernel": 1, "bias": false}""", [4, 3, 5], 2 },
        { "conv1d", """{"filters": 3, "kernel": 4, "stride": 2, "padding": [[2, 1]], "dilation": 2}""", [2, 11], 2 },
        { "conv1d", """{"filters": 2, "kernel": 3, "groups": 2, "padding": "same"}""", [4, 9], 2 },
        { "conv3d", """{"filters": 2, "kernel": [2, 3, 2], "stride": [1, 2, 1], "padding": 1}""", [2, 3, 4, 3], 2 },
        { "conv3d", """{"filters": 2, "kernel": 2, "groups": 2, "dilation": [1, 1, 2], "padding": "same"}""", [2, 3, 3, 4], 1 },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void GradientsMatchFiniteDifferences(string kind, string args, int[] sample, int batch)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, kind, args, shape);
        GradientChecker.Check(layer, backend, shape, batch);
    }

    [Fact]
    public void KnownAnswerWithoutPadding()
    {
        // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 2], [3, 4]], bias 0.5, stride 1:
        //   y00 = 1·1 + 2·2 + 4·3 + 5·4 = 37     y01 = 2·1 + 3·2 + 5·3 + 6·4 = 47
        //   y10 = 4·1 + 5·2 + 7·3 + 8·4 = 67     y11 = 5·1 + 6·2 + 8·3 + 9·4 = 77
        Assert.Equal([37.5, 47.5, 67.5, 77.5], RunKnownProblem("""{"filters": 1, "kernel": 2}""", [2, 2]));
    }

    [Fact]
    public void KnownAnswerWithPaddingAndStride()
    {
        // Same x and w, padding 1 and stride 2: the padded input is 5×5 and the windows start at
        // rows/columns −1 and 1 of x, so (· = a zero from the padding):
        //   y00 = ·1 + ·2 + ·3 + 1·4 = 4         y01 = ·1 + ·2 + 2·3 + 3·4 = 18
        //   y10 = ·1 + 4·2 + ·3 + 7·4 = 36       y11 = 5·1 + 6·2 + 8·3 + 9·4 = 77
        Assert.Equal([4.5, 18.5, 36.5, 77.5], RunKnownProblem("""{"filters": 1, "kernel": 2, "padding": 1, "stride": 2}""", [2, 2]));
    }

    [Fact]
    public void KnownAnswerWithTwoGroups()
    {
        // Two channels, two filters, groups 2: each filter sees only its own channel. Channel 0 is
        // x above, channel 1 is x·10; filter 0 = [[1, 0], [0, 0]] (top-left tap), filter 1 = [[0, 0], [0, 1]]
        // (bottom-right tap), bias 0: y0 = x[0:2, 0:2] = 1 2 4 5, y1 = 10·x[1:3, 1:3] = 50 60 80 90.
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "conv2d", """{"filters": 2, "kernel": 2, "groups": 2}""", new Shape(2, 3, 3));
        backend.CopyFromHost<double>([1, 0, 0, 0, 0, 0, 0, 1], layer.Parameters[0].Value);
        backend.Fill(layer.Parameters[1].Value, 0);
        double[] x = [.. Enumerable.Range(1, 9).Select(v => (double)v), .. Enumerable.Range(1, 9).Select(v => 10.0 * v)];
        using Tensor input = LayerHarness.Upload(backend, new Shape(1, 2, 3, 3), x);
        Assert.Equal([1, 2, 4, 5, 50, 60, 80, 90], LayerHarness.Download(layer.Forward(input, training: false)));
    }

    [Theory]
    [InlineData("conv2d", """{"filters": 6, "kernel": 5, "padding": 2}""", new[] { 1, 28, 28 }, new[] { 6, 28, 28 })]
    [InlineData("conv2d", """{"filters": 16, "kernel": 5}""", new[] { 6, 14, 14 }, new[] { 16, 10, 10 })]
    [InlineData("conv2d", """{"filters": 64, "kernel": 7, "stride": 2, "padding": 3}""", new[] { 3, 224, 224 }, new[] { 64, 112, 112 })]
    [InlineData("conv2d", """{"filters": 4, "kernel": 3, "stride": 2, "padding": "same"}""", new[] { 2, 7, 8 }, new[] { 4, 4, 4 })]
    [InlineData("conv2d", """{"filters": 4, "kernel": 4, "padding": "same"}""", new[] { 2, 7, 8 }, new[] { 4, 7, 8 })]
    [InlineData("conv2d", """{"filters": 4, "kernel": 3, "dilation": 2}""", new[] { 2, 10, 9 }, new[] { 4, 6, 5 })]
    [InlineData("conv2d", """{"filters": 2, "kernel": 3, "padding": [[0, 2], [1, 0]]}""", new[] { 1, 5, 5 }, new[] { 2, 5, 4 })]
    [InlineData("conv1d", """{"filters": 8, "kernel": 3, "stride": 3, "padding": "same"}""", new[] { 2, 10 }, new[] { 8, 4 })]
    [InlineData("conv3d", """{"filters": 4, "kernel": [3, 3, 1], "padding": [1, 1, 0]}""", new[] { 2, 8, 9, 10 }, new[] { 4, 8, 9, 10 })]
    [InlineData("locally_connected2d", """{"filters": 5, "kernel": 3, "stride": 2}""", new[] { 3, 9, 8 }, new[] { 5, 4, 3 })]
    public void OutputShapesFollowTheSizeRule(string kind, string args, int[] input, int[] expected)
    {
        using ILayer layer = LayerHarness.Create(kind, args);
        Assert.Equal(new Shape(expected), layer.InferOutputShape(new Shape(input)));
    }

    [Theory]
    [InlineData("conv2d", """{"filters": 10, "kernel": 5}""", new[] { 3, 32, 32 }, 10 * 3 * 25 + 10, new[] { 10, 3, 5, 5 })]
    [InlineData("conv2d", """{"filters": 10, "kernel": 5, "bias": false}""", new[] { 3, 32, 32 }, 10 * 3 * 25, new[] { 10, 3, 5, 5 })]
    [InlineData("conv2d", """{"filters": 32, "kernel": 3, "groups": 32, "padding": "same"}""", new[] { 32, 8, 8 }, 32 * 9 + 32, new[] { 32, 1, 3, 3 })]
    [InlineData("conv2d", """{"filters": 8, "kernel": 3, "groups": 2}""", new[] { 4, 8, 8 }, 8 * 2 * 9 + 8, new[] { 8, 2, 3, 3 })]
    [InlineData("conv1d", """{"filters": 4, "kernel": 5}""", new[] { 2, 20 }, 4 * 2 * 5 + 4, new[] { 4, 2, 5 })]
    [InlineData("conv3d", """{"filters": 8, "kernel": 3}""", new[] { 2, 5, 5, 5 }, 8 * 2 * 27 + 8, new[] { 8, 2, 3, 3, 3 })]
    public void ParameterCountsAndWeightShapes(string kind, string args, int[] input, long parameters, int[] weightShape)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, kind, args, new Shape(input), DataType.Float32);
        Assert.Equal(parameters, layer.Parameters.Sum(p => p.Value.ElementCount));
        Assert.Equal(new Shape(weightShape), layer.Parameters[0].Value.Shape);
    }

    [Fact]
    public void InitialisationIsUniformOnPlusMinusOneOverSqrtFanIn()
    {
        // fan_in = (C/groups)·kh·kw = (4/2)·3·3 = 18.
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "conv2d", """{"filters": 64, "kernel": 3, "groups": 2}""", new Shape(4, 6, 6));
        double bound = 1 / Math.Sqrt(18);
        foreach (Parameter p in layer.Parameters)
        {
            double[] values = LayerHarness.Download(p.Value);
            Assert.All(values, v => Assert.InRange(v, -bound, bound));
            Assert.True(values.Max() - values.Min() > bound, $"{p.Name} should spread over ±{bound}");
        }
        using ILayer again = LayerHarness.Build(backend, "conv2d", """{"filters": 64, "kernel": 3, "groups": 2}""", new Shape(4, 6, 6));
        Assert.Equal(LayerHarness.Download(layer.Parameters[0].Value), LayerHarness.Download(again.Parameters[0].Value));
    }

    [Theory]
    [InlineData("conv2d", """{"filters": 2, "kernel": 5}""", new[] { 1, 3, 7 }, "layer 'conv2d' (conv2d): input [1, 3, 7]: spatial axis 0: window of 5 (kernel 5, dilation 1) is larger than the padded input 3 (3 + 0 + 0)")]
    [InlineData("conv2d", """{"filters": 2, "kernel": 3, "dilation": 3, "padding": [1, 0]}""", new[] { 1, 8, 5 }, "spatial axis 1: window of 7 (kernel 3, dilation 3) is larger than the padded input 5 (5 + 0 + 0)")]
    [InlineData("conv2d", """{"filters": 4, "kernel": 3, "groups": 2}""", new[] { 3, 5, 5 }, "layer 'conv2d' (conv2d): input [3, 5, 5]: input channels 3 and output channels 4 must both be divisible by groups 2")]
    [InlineData("conv2d", """{"filters": 4, "kernel": 3}""", new[] { 3, 5 }, "layer 'conv2d' (conv2d): input [3, 5]: input [3, 5] should be C×2 spatial axes (3 dimensions)")]
    [InlineData("conv3d", """{"filters": 4, "kernel": 3, "padding": "same"}""", new[] { 3, 5, 5 }, "layer 'conv3d' (conv3d): input [3, 5, 5]: input [3, 5, 5] should be C×3 spatial axes (4 dimensions)")]
    [InlineData("locally_connected2d", """{"filters": 2, "kernel": 4}""", new[] { 1, 3, 3 }, "layer 'locally_connected2d' (locally_connected2d): input [1, 3, 3]: spatial axis 0: window of 4 (kernel 4, dilation 1) is larger than the padded input 3 (3 + 0 + 0)")]
    public void BadInputShapesAreRefusedWithTheNumbers(string kind, string args, int[] input, string message)
    {
        using ILayer layer = LayerHarness.Create(kind, args);
        var error = Assert.Throws<ShapeException>(() => layer.InferOutputShape(new Shape(input)));
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("""{"filters": 2, "kernel": 3, "stride": 0}""", "layer 'conv2d' (conv2d): argument 'stride' is 0; expected an integer or a list of 2 integers, each >= 1")]
    [InlineData("""{"filters": 2, "kernel": 3, "stride": [1, -2]}""", "layer 'conv2d' (conv2d): argument 'stride' is [1,-2]; expected an integer or a list of 2 integers, each >= 1")]
    [InlineData("""{"filters": 2, "kernel": [3, 3, 3]}""", "argument 'kernel' is [3,3,3]; expected an integer or a list of 2 integers, each >= 1")]
    [InlineData("""{"filters": 2}""", "layer 'conv2d' (conv2d): missing required argument 'kernel'")]
    [InlineData("""{"kernel": 3}""", "layer 'conv2d' (conv2d): missing required argument 'filters'")]
    [InlineData("""{"filters": 2, "kernel": 3, "dilation": 0}""", "argument 'dilation' is 0; expected an integer or a list of 2 integers, each >= 1")]
    [InlineData("""{"filters": 2, "kernel": 3, "padding": "full"}""", "argument 'padding' is \"full\"; expected 'valid', 'same', an integer >= 0, a list of 2 integers >= 0, or a list of 2 [before, after] pairs")]
    [InlineData("""{"filters": 2, "kernel": 3, "padding": [[1, 1], [1]]}""", "argument 'padding' is [[1,1],[1]]; expected")]
    [InlineData("""{"filters": 2, "kernel": 3, "padding": -1}""", "argument 'padding' is -1; expected")]
    [InlineData("""{"filters": 3, "kernel": 3, "groups": 2}""", "layer 'conv2d' (conv2d): filters 3 must be divisible by groups 2")]
    [InlineData("""{"filters": 2, "kernel": 3, "groups": 0}""", "layer 'conv2d' (conv2d): argument 'groups' is 0; it must be in [1, ")]
    [InlineData("""{"filters": 2, "kernel": 3, "strides": 2}""", "layer 'conv2d' (conv2d): unknown argument(s) 'strides'")]
    public void BadConfigurationsAreRefusedWithTheNumbers(string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("conv2d", args));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void SteadyStateTrainingStepsAllocateNothing()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var sample = new Shape(3, 9, 8);
        using ILayer layer = LayerHarness.Build(backend, "conv2d", """{"filters": 4, "kernel": 3, "padding": "same", "groups": 1}""", sample, DataType.Float32);
        using Tensor x = LayerHarness.Upload(backend, sample.WithBatch(2), LayerHarness.Random(2 * 3 * 9 * 8, 3), DataType.Float32);
        using Tensor dy = LayerHarness.Upload(backend, layer.InferOutputShape(sample).WithBatch(2), LayerHarness.Random(2 * 4 * 9 * 8, 4), DataType.Float32);
        void Step()
        {
            layer.Forward(x, training: true);
            layer.Backward(dy);
        }
        Step();
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            Step();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>conv2d on x = 1..9 (one 3×3 channel) with w = [[1, 2], [3, 4]] and bias 0.5.</summary>
    private static double[] RunKnownProblem(string args, int[] outputSpatial)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "conv2d", args, new Shape(1, 3, 3));
        Assert.Equal(new Shape([1, .. outputSpatial]), layer.InferOutputShape(new Shape(1, 3, 3)));
        backend.CopyFromHost<double>([1, 2, 3, 4], layer.Parameters[0].Value);
        backend.CopyFromHost<double>([0.5], layer.Parameters[1].Value);
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 1, 3, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        return LayerHarness.Download(layer.Forward(x, training: false));
    }
}
