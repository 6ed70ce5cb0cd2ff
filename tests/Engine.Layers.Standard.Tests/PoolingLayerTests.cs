namespace Engine.Layers.Standard.Tests;

public sealed class PoolingLayerTests
{
    public static TheoryData<string, string, int[]> MaxCases => new()
    {
        { "max_pool2d", "{\"pool\": 2}", [2, 4, 5] },                                       // 2×2 s2 fast path, odd width
        { "max_pool2d", "{\"pool\": 3, \"stride\": 2, \"padding\": 1}", [2, 5, 5] },        // overlapping, padded
        { "max_pool2d", "{\"pool\": [2, 3], \"stride\": [1, 2], \"padding\": \"same\"}", [1, 4, 5] }, // asymmetric padding
        { "max_pool1d", "{\"pool\": 3, \"stride\": 1, \"padding\": 1}", [3, 7] },
        { "max_pool3d", "{\"pool\": 2, \"stride\": 1}", [2, 3, 3, 3] },
        { "max_pool2d", "{\"pool\": 3, \"stride\": 2, \"ceil_mode\": true}", [2, 6, 5] },            // ceil: last windows hang over
        { "max_pool2d", "{\"pool\": 3, \"stride\": 2, \"padding\": 1, \"ceil_mode\": true}", [1, 6, 6] },
    };

    public static TheoryData<string, string, int[]> AverageCases => new()
    {
        { "avg_pool2d", "{\"pool\": 2}", [2, 4, 5] },
        { "avg_pool2d", "{\"pool\": 3, \"stride\": 2, \"padding\": 1}", [2, 5, 5] },
        { "avg_pool2d", "{\"pool\": 3, \"stride\": 2, \"padding\": 1, \"count_include_pad\": true}", [2, 5, 5] },
        { "avg_pool1d", "{\"pool\": 2, \"stride\": 1, \"padding\": \"same\"}", [2, 6] },
        { "avg_pool3d", "{\"pool\": [2, 2, 1], \"padding\": [1, 0, 0]}", [1, 3, 4, 2] },
        { "avg_pool2d", "{\"pool\": 2, \"ceil_mode\": true}", [2, 5, 3] },
        { "avg_pool1d", "{\"pool\": 3, \"stride\": 2, \"padding\": 1, \"ceil_mode\": true}", [2, 6] },
    };

    [Theory]
    [MemberData(nameof(MaxCases))]
    public void MaxPoolingGradientsMatchFiniteDifferences(string kind, string args, int[] sample)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, kind, args, shape);
        const int batch = 2;
        GradientChecker.Check(layer, backend, shape, batch, DistinctValues.Shuffled(batch * (int)shape.ElementCount, 3));
    }

    [Theory]
    [MemberData(nameof(AverageCases))]
    public void AveragePoolingGradientsMatchFiniteDifferences(string kind, string args, int[] sample)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(sample);
        using ILayer layer = LayerHarness.Build(backend, kind, args, shape);
        GradientChecker.Check(layer, backend, shape, 2);
    }

    [Fact]
    public void TwoByTwoStrideTwoKnownAnswers()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 4, 4);
        double[] x = Enumerable.Range(1, 16).Select(i => (double)i).ToArray(); // rows 1–4, 5–8, 9–12, 13–16
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), x);
        using ILayer max = LayerHarness.Build(backend, "max_pool2d", "{\"pool\": 2}", shape);
        using ILayer average = LayerHarness.Build(backend, "avg_pool2d", "{\"pool\": 2}", shape);

        Assert.Equal([6, 8, 14, 16], LayerHarness.Download(max.Forward(input, training: true)));
        // (1+2+5+6)/4, (3+4+7+8)/4, (9+10+13+14)/4, (11+12+15+16)/4
        Assert.Equal([3.5, 5.5, 11.5, 13.5], LayerHarness.Download(average.Forward(input, training: true)));

        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 1, 2, 2), [1, 2, 3, 4]);
        double[] expected = new double[16];
        (expected[5], expected[7], expected[13], expected[15]) = (1, 2, 3, 4); // where 6, 8, 14, 16 are
        Assert.Equal(expected, LayerHarness.Download(max.Backward(dy)));
        // Each dy is shared equally by the four elements of its window.
        Assert.Equal([0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1],
            LayerHarness.Download(average.Backward(dy)));
    }

    [Fact]
    public void OverlappingMaxPoolingAccumulatesGradientsOfSharedMaxima()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 5, 5);
        // Ascending 0…24 with the centre raised to 100: the centre (2, 2) lies in all four 3×3 windows
        // of stride 2 and is the maximum of each.
        double[] x = Enumerable.Range(0, 25).Select(i => (double)i).ToArray();
        x[12] = 100;
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), x);
        using ILayer layer = LayerHarness.Build(backend, "max_pool2d", "{\"pool\": 3, \"stride\": 2}", shape);
        Assert.Equal([100, 100, 100, 100], LayerHarness.Download(layer.Forward(input, training: true)));
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 1, 2, 2), [1, 2, 3, 4]);
        double[] dx = LayerHarness.Download(layer.Backward(dy));
        Assert.Equal(10, dx[12]); // 1 + 2 + 3 + 4
        Assert.Equal(10, dx.Sum());
    }

    [Theory]
    [InlineData("{\"pool\": 3, \"stride\": 1, \"padding\": 1}")] // windows the CPU keeps an arg-max for
    [InlineData("{\"pool\": 3, \"stride\": 2, \"padding\": 1}")]
    public void MaxPoolingKeepsItsArgMaxOnlyInTrainingAndGivesTheBitsOfRecomputingIt(string args)
    {
        var shape = new Shape(3, 13, 17);
        // One decimal: many ties, which must go to the first maximum either way.
        double[] x = LayerHarness.Random(2 * 3 * 13 * 17, 5).Select(v => Math.Round(v, 1)).ToArray();
        double[] dy = LayerHarness.Random(2 * 3 * 13 * 17, 6);
        double[]? reference = null;
        foreach (bool keep in new[] { false, true })
        {
            using var backend = new WorkspaceCounter(LayerHarness.CreateBackend(), keep);
            using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(2), x, DataType.Float32);
            using ILayer layer = LayerHarness.Build(backend, "max_pool2d", args, shape, DataType.Float32);
            double[] inference = LayerHarness.Download(layer.Forward(input, training: false));
            Assert.Equal(0, backend.Forwards); // inference keeps nothing
            Tensor y = layer.Forward(input, training: true);
            Assert.Equal(inference, LayerHarness.Download(y));
            using Tensor gradient = LayerHarness.Upload(backend, y.Shape, dy[..(int)y.Shape.ElementCount], DataType.Float32);
            double[] dx = LayerHarness.Download(layer.Backward(gradient));
            Assert.Equal(keep ? 1 : 0, backend.Forwards);
            Assert.Equal(keep ? 1 : 0, backend.Backwards);
            Assert.Contains(dx, v => v != 0);
            reference ??= dx;
            Assert.Equal(reference, dx); // kept or recomputed, the same gradient
        }
    }

    /// <summary>Counts the workspace calls; without <paramref name="keep"/> it offers no workspace, so the layer recomputes.</summary>
    private sealed class WorkspaceCounter(IBackend inner, bool keep) : BackendDecorator(inner, ownsInner: true)
    {
        public int Forwards { get; private set; }

        public int Backwards { get; private set; }

        public override int PoolingWorkspaceSize(PoolingGeometry geometry, Shape x, DataType dataType) =>
            keep ? base.PoolingWorkspaceSize(geometry, x, dataType) : 0;

        public override void PoolingForwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor workspace)
        {
            Forwards++;
            base.PoolingForwardWithWorkspace(geometry, x, y, workspace);
        }

        public override void PoolingBackwardWithWorkspace(PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx, Tensor workspace)
        {
            Backwards++;
            base.PoolingBackwardWithWorkspace(geometry, x, y, dy, dx, workspace);
        }
    }

    [Fact]
    public void MaxPoolingTakesTheFirstMaximumOnTies()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 2, 2);
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), [7, 7, 7, 7]);
        using ILayer layer = LayerHarness.Build(backend, "max_pool2d", "{\"pool\": 2}", shape);
        layer.Forward(input, training: true);
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 1, 1, 1), [1]);
        Assert.Equal([1, 0, 0, 0], LayerHarness.Download(layer.Backward(dy)));
    }

    [Theory]
    [InlineData(false, new[] { 1.0, 2.5, 5.5, 7.0 })]   // divide by real elements: 1/1, (2+3)/2, (4+7)/2, (5+6+8+9)/4
    [InlineData(true, new[] { 0.25, 1.25, 2.75, 7.0 })] // divide by 4: 1/4, 5/4, 11/4, 28/4
    public void AveragePoolingWithPaddingKnownAnswers(bool includePad, double[] expected)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 3, 3);
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        string args = $"{{\"pool\": 2, \"padding\": 1, \"count_include_pad\": {(includePad ? "true" : "false")}}}";
        using ILayer layer = LayerHarness.Build(backend, "avg_pool2d", args, shape);
        Assert.Equal(expected, LayerHarness.Download(layer.Forward(input, training: false)));
    }

    [Fact]
    public void PaddingNeverWinsAMax()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 2, 2);
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), [-1, -2, -3, -4]);
        using ILayer layer = LayerHarness.Build(backend, "max_pool2d", "{\"pool\": 2, \"padding\": 1}", shape);
        Assert.Equal([-1, -2, -3, -4], LayerHarness.Download(layer.Forward(input, training: false)));
    }

    [Theory]
    [InlineData("max_pool2d", "{\"pool\": 2, \"padding\": \"same\"}", new[] { 3, 5, 7 }, new[] { 3, 3, 4 })]
    [InlineData("avg_pool1d", "{\"pool\": 3, \"stride\": 1}", new[] { 2, 10 }, new[] { 2, 8 })]
    [InlineData("max_pool3d", "{\"pool\": [1, 2, 2], \"stride\": [1, 2, 2]}", new[] { 4, 3, 6, 6 }, new[] { 4, 3, 3, 3 })]
    public void OutputShapes(string kind, string args, int[] input, int[] output) =>
        Assert.Equal(new Shape(output), LayerHarness.Create(kind, args).InferOutputShape(new Shape(input)));

    [Theory]
    [InlineData("max_pool2d", "{\"pool\": 5}", new[] { 1, 4, 4 }, "window of 5")]
    [InlineData("max_pool2d", "{\"pool\": 2}", new[] { 1, 4 }, "C×2 spatial axes")]
    public void WindowsThatDoNotFitNameTheLayer(string kind, string args, int[] input, string detail)
    {
        var e = Assert.Throws<ShapeException>(() => LayerHarness.Create(kind, args).InferOutputShape(new Shape(input)));
        Assert.Contains($"layer '{kind}' ({kind})", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Theory]
    [InlineData("{\"pool\": 2, \"stride\": 0}", "'stride'")]
    [InlineData("{\"pool\": [2, 2, 2]}", "array of 2 integers")]
    [InlineData("{\"pool\": -1}", "'pool'")]
    [InlineData("{}", "missing required argument 'pool'")]
    [InlineData("{\"pool\": 2, \"padding\": \"full\"}", "'valid', 'same'")]
    [InlineData("{\"pool\": 2, \"padding\": -1}", "'padding'")]
    public void BadArgumentsAreNamed(string args, string detail)
    {
        var e = Assert.ThrowsAny<EngineException>(() => LayerHarness.Create("max_pool2d", args));
        Assert.Contains("max_pool2d", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void MaxPoolingHasNoCountIncludePad() =>
        Assert.Throws<ConfigurationException>(() => LayerHarness.Create("max_pool2d", "{\"pool\": 2, \"count_include_pad\": true}"));

    [Fact]
    public void CeilModeKnownAnswers()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(1, 5, 5);
        double[] x = Enumerable.Range(1, 25).Select(i => (double)i).ToArray(); // rows 1–5, 6–10, …, 21–25
        using Tensor input = LayerHarness.Upload(backend, shape.WithBatch(1), x);
        using ILayer max = LayerHarness.Build(backend, "max_pool2d", "{\"pool\": 2, \"ceil_mode\": true}", shape);
        using ILayer average = LayerHarness.Build(backend, "avg_pool2d", "{\"pool\": 2, \"ceil_mode\": true}", shape);

        // Windows rows/columns {0,1}, {2,3}, {4}: the third hangs over the edge and holds one row or column.
        Assert.Equal([7, 9, 10, 17, 19, 20, 22, 24, 25], LayerHarness.Download(max.Forward(input, training: true)));
        // (1+2+6+7)/4, (3+4+8+9)/4, (5+10)/2; (11+12+16+17)/4, …, (15+20)/2; (21+22)/2, (23+24)/2, 25/1.
        Assert.Equal([4, 6, 7.5, 14, 16, 17.5, 21.5, 23.5, 25], LayerHarness.Download(average.Forward(input, training: true)));

        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 1, 3, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        double[] dx = LayerHarness.Download(average.Backward(dy));
        Assert.Equal([0.25, 0.25, 0.5, 0.5, 1.5], dx[..5]);   // row 0: dy 1 and 2 over 4 elements, dy 3 over 2
        Assert.Equal([3.5, 3.5, 4, 4, 9], dx[20..]);          // row 4: dy 7 and 8 over 2 elements each, dy 9 alone
        Assert.Equal(45, dx.Sum(), 12);                       // every dy is shared out whole
    }

    [Theory]
    // PyTorch: out = ceil((in + 2p − k) / s) + 1, less one when window out − 1 would start at or after in + p.
    [InlineData("{\"pool\": 2, \"stride\": 2, \"padding\": 1, \"ceil_mode\": true}", 5, 3)] // ceil gives 4, but the 4th starts at 6 = 5 + 1
    [InlineData("{\"pool\": 3, \"stride\": 2, \"padding\": 1, \"ceil_mode\": true}", 6, 4)] // floor mode: 3
    [InlineData("{\"pool\": 3, \"stride\": 2, \"padding\": 1}", 6, 3)]
    [InlineData("{\"pool\": 3, \"stride\": 2, \"ceil_mode\": true}", 112, 56)]               // GoogLeNet's first pool (floor: 55)
    [InlineData("{\"pool\": 3, \"stride\": 2, \"ceil_mode\": true}", 13, 6)]                 // exact fit: ceil = floor
    [InlineData("{\"pool\": 2, \"stride\": 2, \"ceil_mode\": true}", 7, 4)]
    public void CeilModeOutputSizesFollowPyTorch(string args, int size, int expected) =>
        Assert.Equal(new Shape(3, expected, expected), LayerHarness.Create("max_pool2d", args).InferOutputShape(new Shape(3, size, size)));

    [Fact]
    public void CeilModeWithCountIncludePadIsRefused()
    {
        var e = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("avg_pool2d", "{\"pool\": 2, \"ceil_mode\": true, \"count_include_pad\": true}"));
        Assert.Contains("layer 'avg_pool2d' (avg_pool2d)", e.Message);
        Assert.Contains("ceil_mode together with count_include_pad", e.Message);
    }
}
