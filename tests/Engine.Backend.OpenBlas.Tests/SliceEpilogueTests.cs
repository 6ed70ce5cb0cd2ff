namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The sliced forward (<see cref="ColumnSlices"/>) applying its epilogue to each slice right after the slice's
/// product against applying it to the whole sample after the last slice (the reference,
/// <c>ENGINE_SLICE_EPILOGUE=off</c>): bit for bit, with batch norm + ReLU and with a residual, on a 7×7
/// stride-2 layer like ResNet-18's first (three output rows per slice, the last slice shorter); and both
/// within float32 rounding of the product computed in double here, so a wrong slice would show. Likewise Winograd's
/// forward applying it to each tile row's outputs right after its output transform (the same switch).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class SliceEpilogueTests : IDisposable
{
    private readonly bool _perSlice = ColumnSlices.EpiloguePerSlice;
    private readonly int _budget = ColumnSlices.BudgetFloats;
    private readonly bool? _phaseRows = PhaseRowConvolution.Forced;

    public void Dispose()
    {
        PhaseRowConvolution.Forced = _phaseRows;
        ColumnSlices.EpiloguePerSlice = _perSlice;
        ColumnSlices.BudgetFloats = _budget;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PerSliceEqualsAfterTheLastSlice(bool residual)
    {
        var axis = new ConvolutionAxis(40, 20, 7, 2, 3, 1);
        var layout = new ConvolutionLayout(3, 3, 16, 1, ConvolutionAxis.Unit, axis, axis);
        int outputs = layout.Batch * layout.Filters * layout.OutputSize;
        var rng = new Random(21);
        float[] x = SmallConvolutionTests.Random(rng, layout.Batch * 3 * 40 * 40), w = SmallConvolutionTests.Random(rng, 16 * layout.ColumnRows);
        float[] scale = SmallConvolutionTests.Random(rng, 16), shift = SmallConvolutionTests.Random(rng, 16), r = SmallConvolutionTests.Random(rng, outputs);
        ColumnSlices.BudgetFloats = layout.ColumnRows * 20 * 3; // 3 output rows per slice: 7 slices, the last of 2 rows
        PhaseRowConvolution.Forced = false; // the sliced path, not the first layer's own kernel (PhaseRowConvolutionTests)
        Assert.Equal(3, ColumnSlices.RowsPerSlice<float>(layout));

        ColumnSlices.EpiloguePerSlice = false;
        float[] after = Forward(layout, x, w, scale, shift, residual ? r : null);
        ColumnSlices.EpiloguePerSlice = true;
        float[] perSlice = Forward(layout, x, w, scale, shift, residual ? r : null);
        Assert.Equal(after, perSlice);
        Assert.Contains(perSlice, v => v == 0); // the ReLU clipped something

        double[] reference = Reference(layout, x, w, scale, shift, residual ? r : null);
        for (int i = 0; i < outputs; i++)
        {
            Assert.True(Math.Abs(perSlice[i] - reference[i]) <= 1e-4, $"y[{i}]: {perSlice[i]} vs {reference[i]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WinogradPerTileRowEqualsAfterTheLastBlock(bool residual)
    {
        // 18×18 outputs: the last tile row holds 2 output rows, not 4. 40 filters: more than the LeNet-size direct kernel takes.
        var axis = new ConvolutionAxis(18, 18, 3, 1, 1, 1);
        var layout = new ConvolutionLayout(2, 16, 40, 1, ConvolutionAxis.Unit, axis, axis);
        int outputs = layout.Batch * layout.Filters * layout.OutputSize;
        var rng = new Random(22);
        float[] x = SmallConvolutionTests.Random(rng, 2 * 16 * 18 * 18), w = SmallConvolutionTests.Random(rng, 40 * layout.ColumnRows);
        float[] scale = SmallConvolutionTests.Random(rng, 40), shift = SmallConvolutionTests.Random(rng, 40), r = SmallConvolutionTests.Random(rng, outputs);
        bool? winograd = WinogradConvolution.Forced, direct = PaddedDirectConvolution.Forced;
        try
        {
            (WinogradConvolution.Forced, PaddedDirectConvolution.Forced) = (true, false);
            Assert.True(WinogradConvolution.Applies<float>(layout, ConvolutionPass.Forward));
            Assert.False(DirectConvolution.Applies<float>(layout) || FilterVectorConvolution.Applies<float>(layout)); // the dispatcher reaches Winograd
            ColumnSlices.EpiloguePerSlice = false;
            float[] after = Forward(layout, x, w, scale, shift, residual ? r : null);
            ColumnSlices.EpiloguePerSlice = true;
            float[] perRow = Forward(layout, x, w, scale, shift, residual ? r : null);
            Assert.Equal(after, perRow);
            Assert.Contains(perRow, v => v == 0);
            double[] reference = Reference(layout, x, w, scale, shift, residual ? r : null);
            for (int i = 0; i < outputs; i++)
            {
                Assert.True(Math.Abs(perRow[i] - reference[i]) <= 1e-3, $"y[{i}]: {perRow[i]} vs {reference[i]}, r {r[i]}"); // Winograd's transforms round more
            }
        }
        finally
        {
            (WinogradConvolution.Forced, PaddedDirectConvolution.Forced) = (winograd, direct);
        }
    }

    private static float[] Forward(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, float[]? residual)
    {
        var y = new float[l.Batch * l.Filters * l.OutputSize];
        var workspace = new ConvolutionWorkspace();
        fixed (float* px = x, pw = w, py = y, ps = scale, pb = shift, pr = residual)
        {
            var epilogue = new ConvolutionEpilogue((nint)ps, (nint)pb, Activation.Relu, 0);
            if (residual is not null)
            {
                epilogue = epilogue.WithResidual((nint)pr, (nint)py);
            }
            ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)px, (nint)pw, (nint)py, workspace, epilogue);
        }
        workspace.Release();
        return y;
    }

    // max(scale·(x ⋆ w) + shift (+ r), 0) in double.
    private static double[] Reference(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, float[]? residual)
    {
        ConvolutionAxis h = l.Height, wd = l.Width;
        var y = new double[l.Batch * l.Filters * l.OutputSize];
        for (int n = 0; n < l.Batch; n++)
        {
            for (int f = 0; f < l.Filters; f++)
            {
                for (int oh = 0; oh < h.Output; oh++)
                {
                    for (int ow = 0; ow < wd.Output; ow++)
                    {
                        double sum = 0;
                        for (int c = 0; c < l.Channels; c++)
                        {
                            for (int kh = 0; kh < h.Kernel; kh++)
                            {
                                for (int kw = 0; kw < wd.Kernel; kw++)
                                {
                                    int ih = oh * h.Stride - h.Pad + kh, iw = ow * wd.Stride - wd.Pad + kw;
                                    if (ih >= 0 && ih < h.Input && iw >= 0 && iw < wd.Input)
                                    {
                                        sum += (double)x[((n * l.Channels + c) * h.Input + ih) * wd.Input + iw] * w[((f * l.Channels + c) * h.Kernel + kh) * wd.Kernel + kw];
                                    }
                                }
                            }
                        }
                        int at = ((n * l.Filters + f) * h.Output + oh) * wd.Output + ow;
                        double v = scale[f] * sum + shift[f] + (residual is null ? 0 : residual[at]);
                        y[at] = Math.Max(v, 0);
                    }
                }
            }
        }
        return y;
    }
}
