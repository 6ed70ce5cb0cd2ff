using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The direct backward kernels (<see cref="DirectFilterGradient"/>, <see cref="DirectDataGradient"/>)
/// against a double-precision im2col reference: they sum in another order than the column path, so
/// each result must lie within 1e-5 of the sum of its terms' magnitudes (float rounding of these
/// sums stays far below that); and the same bits at pool widths 1 and 2 (items never share a sum).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class DirectGradientTests : IDisposable
{
    private readonly int _bits = SmallGemm.Bits;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        SmallGemm.Bits = _bits;
        WorkerPool.Width = _width;
    }

    [Theory]
    [MemberData(nameof(MaskedLayouts.Cases), MemberType = typeof(MaskedLayouts))]
    public void BothGradientsMatchADoubleReferenceAtEveryPoolWidth(int channels, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the direct kernels never run on this CPU
        }
        // 7 filters: one whole block of 4 and a partial one; 6 (one channel): two blocks of 3; batch 3.
        const int batch = 3;
        int filters = channels == 1 ? 6 : 7;
        ConvolutionLayout l = MaskedLayouts.Make(batch, channels, filters, depth, size, kernel, pad, heightStride, dilation);
        SmallGemm.Bits = 512;
        bool twoD = depth == 1, strideOne = heightStride == 1;
        Assert.Equal(twoD && kernel == 5, DirectFilterGradient.Applies<float>(l)); // other widths: taken by the column path, the kernel still right
        Assert.Equal(strideOne && channels >= 4, DirectDataGradient.Applies<float>(l)); // fewer channels: the column path is faster, the kernel still right

        var rng = new Random(11);
        int sampleIn = channels * l.InputSize, sampleOut = filters * l.OutputSize;
        float[] x = MaskedLayouts.Random(rng, batch * sampleIn), w = MaskedLayouts.Random(rng, filters * l.ColumnRows);
        float[] dy = MaskedLayouts.Random(rng, batch * sampleOut);
        (double[] dw, double[] dwScale, double[] dx, double[] dxScale) = Reference(l, x, w, dy);

        var workspace = new ConvolutionWorkspace();
        foreach (int width in new[] { 1, 2 })
        {
            WorkerPool.Width = width;
            float[] dwDirect = new float[w.Length + 1], dxDirect = new float[x.Length + 1];
            dwDirect[^1] = dxDirect[^1] = 42; // past the end: must survive
            fixed (float* px = x, pw = w, pdy = dy, pdw = dwDirect, pdx = dxDirect)
            {
                if (twoD)
                {
                    DirectFilterGradient.Run(l, px, pdy, pdw, workspace);
                }
                if (strideOne)
                {
                    DirectDataGradient.Run(l, pdy, pw, pdx);
                }
            }
            Assert.Equal(42, dwDirect[^1]);
            Assert.Equal(42, dxDirect[^1]);
            if (twoD)
            {
                AssertNear(dw, dwScale, dwDirect, $"dw, width {width}");
            }
            if (strideOne)
            {
                AssertNear(dx, dxScale, dxDirect, $"dx, width {width}");
            }
        }
        workspace.Release();
    }

    public static TheoryData<int, int, int, int, int, int> FilterLaneLayouts => new()
    {
        // batch, channels, filters, size, width pad, height stride
        { 3, 6, 16, 14, 0, 1 }, // LeNet conv2
        { 2, 2, 32, 21, 2, 2 }, // two filter groups, width padding (two-vector rows), height stride 2
    };

    [Theory]
    [MemberData(nameof(FilterLaneLayouts))]
    public void FilterLaneKernelMatchesADoubleReference(int batch, int channels, int filters, int size, int widthPad, int heightStride)
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }
        var height = new ConvolutionAxis(size, (size - 5) / heightStride + 1, 5, heightStride, 0, 1);
        var width = new ConvolutionAxis(size, size + 2 * widthPad - 4, 5, 1, widthPad, 1);
        var l = new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, height, width);
        SmallGemm.Bits = 512;
        Assert.True(DirectFilterGradient.Applies<float>(l) && DirectFilterGradient.FilterLanes(l));
        var rng = new Random(12);
        float[] x = MaskedLayouts.Random(rng, batch * channels * l.InputSize), w = MaskedLayouts.Random(rng, filters * l.ColumnRows);
        float[] dy = MaskedLayouts.Random(rng, batch * filters * l.OutputSize);
        (double[] dw, double[] dwScale, _, _) = Reference(l, x, w, dy);
        var workspace = new ConvolutionWorkspace();
        foreach (int pool in new[] { 1, 2 })
        {
            WorkerPool.Width = pool;
            float[] direct = new float[w.Length + 1];
            direct[^1] = 42;
            fixed (float* px = x, pdy = dy, pdw = direct)
            {
                DirectFilterGradient.Run(l, px, pdy, pdw, workspace);
            }
            Assert.Equal(42, direct[^1]);
            AssertNear(dw, dwScale, direct, $"dw, pool width {pool}");
        }
        workspace.Release();
    }

    [Fact]
    public void GroupedLayoutsKeepTheColumnPath()
    {
        SmallGemm.Bits = 512;
        var axis = new ConvolutionAxis(9, 7, 3, 1, 0, 1);
        var grouped = new ConvolutionLayout(3, 8, 8, 2, ConvolutionAxis.Unit, ConvolutionAxis.Unit, axis);
        Assert.False(DirectDataGradient.Applies<float>(grouped)); // the transposed layout has one group: it must not be asked
        Assert.False(DirectFilterGradient.Applies<float>(grouped));
    }

    [Fact]
    public void LeNetGradientsAreTheSameBitsAtPoolWidthsOneAndTwo()
    {
        if (!Avx512F.IsSupported)
        {
            return;
        }
        SmallGemm.Bits = 512;
        ConvolutionLayout l = MaskedLayouts.Make(64, 6, 16, 1, 14, 5, 0, 1, 1); // conv2
        var rng = new Random(4);
        float[] x = MaskedLayouts.Random(rng, 64 * 6 * l.InputSize), w = MaskedLayouts.Random(rng, 16 * l.ColumnRows);
        float[] dy = MaskedLayouts.Random(rng, 64 * 16 * l.OutputSize);
        var results = new List<float[]>();
        var workspace = new ConvolutionWorkspace();
        foreach (int width in new[] { 1, 2 })
        {
            WorkerPool.Width = width;
            float[] dw = new float[w.Length], dx = new float[x.Length];
            fixed (float* px = x, pw = w, pdy = dy, pdw = dw, pdx = dx)
            {
                DirectFilterGradient.Run(l, px, pdy, pdw, workspace);
                DirectDataGradient.Run(l, pdy, pw, pdx);
            }
            results.Add(dw);
            results.Add(dx);
        }
        workspace.Release();
        Assert.Equal(results[0], results[2]);
        Assert.Equal(results[1], results[3]);
        Assert.NotEqual(0f, results[0][0]);
    }

    internal static void AssertNear(double[] expected, double[] scale, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * scale[i] + 1e-30,
                $"{what} [{i}]: {actual[i]} vs {expected[i]} (terms' magnitude {scale[i]})");
        }
    }

    /// <summary>dw and dx in double through im2col/col2im, with the sums of the terms' magnitudes.</summary>
    internal static (double[] Dw, double[] DwScale, double[] Dx, double[] DxScale) Reference(ConvolutionLayout l, float[] x, float[] w, float[] dy)
    {
        int rows = l.ColumnRows, positions = l.OutputSize, sampleIn = l.Channels * l.InputSize, sampleOut = l.Filters * positions;
        var dw = new double[w.Length];
        var dwScale = new double[w.Length];
        var dx = new double[x.Length];
        var dxScale = new double[x.Length];
        var col = new double[rows * positions];
        var colAbs = new double[rows * positions];
        var xd = Array.ConvertAll(x, v => (double)v);
        fixed (double* pxd = xd, pc = col, pa = colAbs, pdx = dx, pds = dxScale)
        {
            for (int n = 0; n < l.Batch; n++)
            {
                Im2Col.Gather(l, pxd + n * sampleIn, pc);
                for (int f = 0; f < l.Filters; f++)
                {
                    for (int j = 0; j < rows; j++)
                    {
                        for (int p = 0; p < positions; p++)
                        {
                            double term = dy[n * sampleOut + f * positions + p] * col[j * positions + p];
                            dw[f * rows + j] += term;
                            dwScale[f * rows + j] += Math.Abs(term);
                        }
                    }
                }
                for (int j = 0; j < rows; j++)
                {
                    for (int p = 0; p < positions; p++)
                    {
                        double sum = 0, magnitude = 0;
                        for (int f = 0; f < l.Filters; f++)
                        {
                            double term = (double)w[f * rows + j] * dy[n * sampleOut + f * positions + p];
                            sum += term;
                            magnitude += Math.Abs(term);
                        }
                        col[j * positions + p] = sum;
                        colAbs[j * positions + p] = magnitude;
                    }
                }
                Im2Col.Scatter(l, pc, pdx + n * sampleIn);
                Im2Col.Scatter(l, pa, pds + n * sampleIn);
            }
        }
        return (dw, dwScale, dx, dxScale);
    }
}
