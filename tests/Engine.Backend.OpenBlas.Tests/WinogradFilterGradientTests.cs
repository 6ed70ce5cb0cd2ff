using System.Runtime.Intrinsics;
using Xunit.Abstractions;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The Winograd filter gradient (<see cref="WinogradFilterGradient"/>) against a double-precision
/// direct sum dw[k][c][i][j] = Σ dy[n][k][y][x]·x[n][c][y + i − p][x + j − p]. Its rounding differs
/// from im2col's (the transforms mix values of different size and the sum runs in the transformed
/// domain), so the check is a tolerance: the largest error at most 3e-5 of the largest dw (see the
/// test output for the measured ones); the im2col path gets 1e-5 so the reference itself is
/// trusted. Shapes and data are WinogradConvolutionTests' (measured: at most 4.7e-6 of the largest dw). Every
/// vector width and thread count must give the same bits (the ranges of blocks are fixed by the layout).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class WinogradFilterGradientTests(ITestOutputHelper output) : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS, which the small products call
    private readonly bool? _forced = WinogradConvolution.Forced;
    private readonly bool? _filterForced = WinogradFilterGradient.Forced;
    private readonly int _bits = WinogradConvolution.Bits;
    private readonly int _tiles = WinogradFilterGradient.TileTarget;
    private readonly int _width = WorkerPool.Width;
    private readonly bool? _rowFilterGradient = RowFilterConvolution.FilterGradientForced;

    public void Dispose()
    {
        WinogradConvolution.Forced = _forced;
        WinogradFilterGradient.Forced = _filterForced;
        WinogradConvolution.Bits = _bits;
        WinogradFilterGradient.TileTarget = _tiles;
        WorkerPool.Width = _width;
        RowFilterConvolution.FilterGradientForced = _rowFilterGradient;
        _backend.Dispose();
    }

    private const double Tolerance = 3e-5;

    [Theory]
    [MemberData(nameof(WinogradConvolutionTests.Shapes), MemberType = typeof(WinogradConvolutionTests))]
    public void IsCloseToTheDoubleReference(int batch, int channels, int filters, int height, int width, int pad)
    {
        WinogradConvolutionTests.Problem p = WinogradConvolutionTests.Make(batch, channels, filters, height, width, pad);
        double[] reference = Reference(p);
        double winograd = WinogradConvolutionTests.RelativeError(Run(p, winograd: true), reference);
        double plain = WinogradConvolutionTests.RelativeError(Run(p, winograd: false), reference);
        output.WriteLine($"relative error: winograd {winograd:E2}, im2col {plain:E2}");
        Assert.InRange(winograd, 0, Tolerance);
        Assert.InRange(plain, 0, 1e-5);
    }

    [Fact]
    public void EveryVectorWidthAndThreadCountGivesTheSameBits()
    {
        // 45 wide: 12 tiles a row, so the 512-bit path runs with a partial last vector; 20-tile blocks
        // make several blocks per range and several ranges, so two threads share the work.
        WinogradConvolutionTests.Problem p = WinogradConvolutionTests.Make(3, 9, 7, 10, 45, 1);
        WinogradFilterGradient.TileTarget = 20;
        WorkerPool.Width = 1;
        WinogradConvolution.Bits = 128;
        float[] portable = Run(p, winograd: true);
        foreach (int bits in new[] { 256, 512 })
        {
            if (bits == 512 ? !Vector512.IsHardwareAccelerated : !Vector256.IsHardwareAccelerated)
            {
                continue;
            }
            WinogradConvolution.Bits = bits;
            Assert.Equal(portable, Run(p, winograd: true));
        }
        WorkerPool.Width = 2;
        Assert.Equal(portable, Run(p, winograd: true));
        Assert.Equal(portable, Run(p, winograd: true));
    }

    [Fact]
    public void TheSettingsAndTheSizeRuleChooseTheKernel()
    {
        ConvolutionLayout big = WinogradConvolutionTests.Make(1, 64, 64, 56, 56, 1).Layout, small = WinogradConvolutionTests.Make(1, 3, 5, 7, 9, 1).Layout;
        WinogradConvolution.Forced = null;
        WinogradFilterGradient.Forced = null;
        Assert.True(WinogradFilterGradient.Applies<float>(big));
        Assert.False(WinogradFilterGradient.Applies<float>(small));
        Assert.False(WinogradFilterGradient.Applies<double>(big));
        WinogradFilterGradient.Forced = true;
        Assert.True(WinogradFilterGradient.Applies<float>(small));
        WinogradFilterGradient.Forced = false;
        Assert.False(WinogradFilterGradient.Applies<float>(big));
        // ENGINE_WINOGRAD decides where the filter setting is unset, and off turns every Winograd pass off.
        WinogradFilterGradient.Forced = null;
        WinogradConvolution.Forced = true;
        Assert.True(WinogradFilterGradient.Applies<float>(small));
        WinogradFilterGradient.Forced = true;
        WinogradConvolution.Forced = false;
        Assert.False(WinogradFilterGradient.Applies<float>(big));
    }

    /// <summary>dw through the backend's convolution entry point, the Winograd filter gradient forced on or off.</summary>
    private static float[] Run(WinogradConvolutionTests.Problem p, bool winograd)
    {
        WinogradConvolution.Forced = null;
        WinogradFilterGradient.Forced = winograd;
        RowFilterConvolution.FilterGradientForced = false; // dispatched before Winograd, tested on its own
        ConvolutionLayout l = p.Layout;
        Assert.True(WinogradConvolution.Fits(l));
        Assert.Equal(winograd, WinogradFilterGradient.Applies<float>(l));
        float[] dw = new float[l.Filters * l.Channels * 9];
        var workspace = new ConvolutionWorkspace();
        try
        {
            fixed (float* x = p.X, dy = p.Dy, r = dw)
            {
                ConvolutionKernels.Run(ConvolutionPass.BackwardFilter, false, l, DataType.Float32, (nint)x, (nint)r, (nint)dy, workspace);
            }
        }
        finally
        {
            workspace.Release();
        }
        return dw;
    }

    private static double[] Reference(WinogradConvolutionTests.Problem p)
    {
        ConvolutionLayout l = p.Layout;
        int c = l.Channels, k = l.Filters, h = l.Height.Input, wd = l.Width.Input, ho = l.Height.Output, wo = l.Width.Output, pad = l.Height.Pad;
        double[] dw = new double[k * c * 9];
        for (int n = 0; n < l.Batch; n++)
        {
            for (int f = 0; f < k; f++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    for (int tap = 0; tap < 9; tap++)
                    {
                        int i = tap / 3, j = tap % 3;
                        double sum = 0;
                        for (int oy = 0; oy < ho; oy++)
                        {
                            int iy = oy + i - pad;
                            for (int ox = 0; ox < wo && (uint)iy < (uint)h; ox++)
                            {
                                int ix = ox + j - pad;
                                if ((uint)ix < (uint)wd)
                                {
                                    sum += (double)p.Dy[((n * k + f) * ho + oy) * wo + ox] * p.X[((n * c + ch) * h + iy) * wd + ix];
                                }
                            }
                        }
                        dw[(f * c + ch) * 9 + tap] += sum;
                    }
                }
            }
        }
        return dw;
    }
}
