using System.Runtime.Intrinsics;
using Xunit.Abstractions;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Winograd F(4×4, 3×3) (<see cref="WinogradConvolution"/>) against a double-precision direct
/// convolution, forward and backward data: its rounding differs from the direct sum, so the check is
/// a tolerance: the largest error at most 3e-5 of the largest output (measured: up to about 5e-6 on
/// these shapes, uniform values in [−1, 1); im2col's path is about 5e-7). The plain im2col path gets
/// the same check at 1e-6 so the reference itself is trusted. Shapes: odd sizes, padding 0, 1 and 2,
/// channel and filter counts that are not multiples of 16, outputs smaller than one tile, batch 1.
/// Every vector width must give the same bits, and so must 1 and 2 threads.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class WinogradConvolutionTests(ITestOutputHelper output) : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS, which the small products call
    private readonly bool? _forced = WinogradConvolution.Forced;
    private readonly int _bits = WinogradConvolution.Bits;
    private readonly int _tiles = WinogradConvolution.TileTarget;
    private readonly int _width = WorkerPool.Width;

    public void Dispose()
    {
        WinogradConvolution.Forced = _forced;
        WinogradConvolution.Bits = _bits;
        WinogradConvolution.TileTarget = _tiles;
        WorkerPool.Width = _width;
        _backend.Dispose();
    }

    /// <summary>Largest error of Winograd relative to the largest output, forward and backward data.</summary>
    private const double Tolerance = 3e-5;

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, filters, height, width, pad
        { 1, 3, 5, 7, 9, 1 },
        { 2, 17, 19, 11, 13, 0 },
        { 1, 20, 33, 28, 28, 1 },
        { 3, 5, 2, 4, 4, 2 },
        { 2, 4, 6, 3, 3, 0 },
        { 2, 16, 16, 56, 9, 1 },
        { 1, 9, 7, 10, 45, 1 },
        { 1, 64, 64, 14, 14, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardIsCloseToTheDoubleReference(int batch, int channels, int filters, int height, int width, int pad)
    {
        Problem p = Make(batch, channels, filters, height, width, pad);
        double[] reference = ForwardReference(p);
        Check(RelativeError(Run(p, ConvolutionPass.Forward, winograd: true), reference), RelativeError(Run(p, ConvolutionPass.Forward, winograd: false), reference));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void BackwardDataIsCloseToTheDoubleReference(int batch, int channels, int filters, int height, int width, int pad)
    {
        Problem p = Make(batch, channels, filters, height, width, pad);
        double[] reference = BackwardDataReference(p);
        Check(RelativeError(Run(p, ConvolutionPass.BackwardData, winograd: true), reference), RelativeError(Run(p, ConvolutionPass.BackwardData, winograd: false), reference));
    }

    private void Check(double winograd, double plain)
    {
        output.WriteLine($"relative error: winograd {winograd:E2}, im2col {plain:E2}");
        Assert.InRange(winograd, 0, Tolerance);
        Assert.InRange(plain, 0, 1e-6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryVectorWidthAndThreadCountGivesTheSameBits(bool backward)
    {
        ConvolutionPass pass = backward ? ConvolutionPass.BackwardData : ConvolutionPass.Forward;
        // 45 wide: 12 tiles a row, so the 512-bit path runs with a partial last vector; small blocks
        // make several blocks per call, so two threads share the work.
        Problem p = Make(2, 9, 7, 10, 45, 1);
        WinogradConvolution.TileTarget = 20;
        WorkerPool.Width = 1;
        WinogradConvolution.Bits = 128;
        float[] portable = Run(p, pass, winograd: true);
        foreach (int bits in new[] { 256, 512 })
        {
            if (bits == 512 ? !Vector512.IsHardwareAccelerated : !Vector256.IsHardwareAccelerated)
            {
                continue;
            }
            WinogradConvolution.Bits = bits;
            Assert.Equal(portable, Run(p, pass, winograd: true));
        }
        WorkerPool.Width = 2;
        Assert.Equal(portable, Run(p, pass, winograd: true));
    }

    [Fact]
    public void TheSettingAndTheSizeRuleChooseTheKernel()
    {
        ConvolutionLayout big = Make(1, 64, 64, 56, 56, 1).Layout, small = Make(1, 3, 5, 7, 9, 1).Layout;
        ConvolutionLayout strided = big with { Width = big.Width with { Stride = 2, Output = 28 } };
        WinogradConvolution.Forced = null;
        Assert.True(WinogradConvolution.Applies<float>(big, ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<float>(small, ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<float>(Make(1, 64, 64, 8, 8, 1).Layout, ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<double>(big, ConvolutionPass.Forward));
        Assert.False(WinogradConvolution.Applies<float>(big, ConvolutionPass.BackwardFilter));
        WinogradConvolution.Forced = true;
        Assert.True(WinogradConvolution.Applies<float>(small, ConvolutionPass.BackwardData));
        Assert.False(WinogradConvolution.Applies<float>(strided, ConvolutionPass.Forward));
        WinogradConvolution.Forced = false;
        Assert.False(WinogradConvolution.Applies<float>(big, ConvolutionPass.Forward));
        Assert.Equal(true, WinogradConvolution.ParseSetting("ON"));
        Assert.Equal(false, WinogradConvolution.ParseSetting("off"));
        Assert.Null(WinogradConvolution.ParseSetting("auto"));
    }

    internal sealed record Problem(ConvolutionLayout Layout, float[] X, float[] W, float[] Dy);

    internal static Problem Make(int batch, int channels, int filters, int height, int width, int pad)
    {
        var layout = new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit,
            new ConvolutionAxis(height, height + 2 * pad - 2, 3, 1, pad, 1),
            new ConvolutionAxis(width, width + 2 * pad - 2, 3, 1, pad, 1));
        var rng = new Random(height * 131 + width * 7 + channels);
        return new Problem(layout,
            Values(rng, batch * channels * layout.InputSize),
            Values(rng, filters * channels * 9),
            Values(rng, batch * filters * layout.OutputSize));
    }

    private static float[] Values(Random rng, int count)
    {
        float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }

    /// <summary>
    /// One pass: Winograd called directly (the backend's entry point would send small forward layers
    /// to the direct kernel first), or the backend's convolution entry point with Winograd forced off.
    /// </summary>
    private static float[] Run(Problem p, ConvolutionPass pass, bool winograd)
    {
        WinogradConvolution.Forced = winograd;
        ConvolutionLayout l = p.Layout;
        Assert.True(WinogradConvolution.Fits(l));
        bool forward = pass == ConvolutionPass.Forward;
        float[] result = forward ? new float[p.Dy.Length] : new float[p.X.Length];
        var workspace = new ConvolutionWorkspace();
        try
        {
            fixed (float* x = p.X, w = p.W, dy = p.Dy, r = result)
            {
                if (winograd && forward)
                {
                    WinogradConvolution.Forward(l, x, w, r, workspace);
                }
                else if (winograd)
                {
                    WinogradConvolution.BackwardData(l, dy, w, r, workspace);
                }
                else
                {
                    ConvolutionKernels.Run(pass, false, l, DataType.Float32, (nint)(forward ? x : r), (nint)w, (nint)(forward ? r : dy), workspace);
                }
            }
        }
        finally
        {
            workspace.Release();
        }
        return result;
    }

    private static double[] ForwardReference(Problem p)
    {
        double[] y = new double[p.Dy.Length];
        ForEachTap(p.Layout, (xi, wi, yi) => y[yi] += (double)p.X[xi] * p.W[wi]);
        return y;
    }

    private static double[] BackwardDataReference(Problem p)
    {
        double[] dx = new double[p.X.Length];
        ForEachTap(p.Layout, (xi, wi, yi) => dx[xi] += (double)p.Dy[yi] * p.W[wi]);
        return dx;
    }

    /// <summary>Every (input, filter, output) index triple of the direct convolution whose input lies inside the plane, in a fixed order.</summary>
    private static void ForEachTap(ConvolutionLayout l, Action<int, int, int> tap)
    {
        int c = l.Channels, k = l.Filters, h = l.Height.Input, wd = l.Width.Input, ho = l.Height.Output, wo = l.Width.Output, pad = l.Height.Pad;
        for (int n = 0; n < l.Batch; n++)
        {
            for (int f = 0; f < k; f++)
            {
                for (int oy = 0; oy < ho; oy++)
                {
                    for (int ox = 0; ox < wo; ox++)
                    {
                        for (int ch = 0; ch < c; ch++)
                        {
                            for (int i = 0; i < 3; i++)
                            {
                                for (int j = 0; j < 3; j++)
                                {
                                    int iy = oy + i - pad, ix = ox + j - pad;
                                    if ((uint)iy < (uint)h && (uint)ix < (uint)wd)
                                    {
                                        tap(((n * c + ch) * h + iy) * wd + ix, ((f * c + ch) * 3 + i) * 3 + j, ((n * k + f) * ho + oy) * wo + ox);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The largest |got − reference| over the largest |reference|.</summary>
    internal static double RelativeError(float[] got, double[] reference)
    {
        Assert.Equal(reference.Length, got.Length);
        double error = 0, scale = 0;
        for (int i = 0; i < got.Length; i++)
        {
            error = Math.Max(error, Math.Abs(got[i] - reference[i]));
            scale = Math.Max(scale, Math.Abs(reference[i]));
        }
        return error / Math.Max(scale, 1e-30);
    }
}
