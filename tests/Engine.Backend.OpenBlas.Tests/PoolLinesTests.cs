using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The line-buffer pooling of small 2-D windows (<see cref="PoolLines"/>) at each width (AVX-512,
/// AVX2, portable; a width the CPU lacks runs in the runtime's software fallback) against the plain
/// per-position path, bit for bit: stride 1 and 2, padding, ceil mode, odd sizes, rows narrower than
/// a vector, rectangular windows, a depth axis, on data full of ties, NaNs, signed zeros and −∞.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolLinesTests
{
    // (planes, depth, height, width, kernel d/h/w, stride d/h/w, pad before h/w, extra pad after h/w, dilation h/w)
    internal static readonly (int Planes, int D, int H, int W, int KD, int KH, int KW, int SD, int SH, int SW, int PH, int PW, int AfterH, int AfterW, int DH, int DW)[] Shapes =
    [
        (3, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1),   // ResNet stem: 3×3 s2 p1
        (2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),   // GoogLeNet: 3×3 s1 p1
        (2, 1, 35, 37, 1, 3, 3, 1, 2, 2, 0, 0, 0, 0, 1, 1),   // 3×3 s2 without padding, odd sizes
        (2, 1, 30, 41, 1, 3, 3, 1, 2, 2, 0, 0, 1, 1, 1, 1),   // ceil mode: one more output past the end
        (2, 1, 11, 13, 1, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1),   // ceil mode with padding, odd sizes
        (2, 1, 20, 40, 1, 2, 2, 1, 1, 1, 0, 0, 0, 0, 1, 1),   // 2×2 stride 1
        (2, 1, 19, 45, 1, 3, 5, 1, 3, 2, 1, 2, 0, 0, 1, 1),   // row stride 3, rectangular window
        (2, 1, 9, 23, 1, 5, 5, 1, 1, 1, 2, 2, 0, 0, 1, 1),    // 5×5 s1 p2 (Inception)
        (2, 1, 17, 33, 1, 7, 7, 1, 2, 2, 3, 3, 0, 0, 1, 1),   // 7×7 s2 p3: padding wider than a 4-lane vector's reach
        (2, 1, 6, 6, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1),     // narrower than any vector
        (3, 1, 7, 7, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1),     // 7×7 plane, stride 2
        (2, 1, 14, 14, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 1, 1),   // no padding, stride 1
        (2, 1, 8, 50, 1, 1, 3, 1, 1, 2, 0, 1, 0, 0, 1, 1),    // one-row window
        (2, 1, 33, 9, 1, 4, 1, 1, 2, 1, 1, 0, 0, 0, 1, 1),    // one-column window
        (2, 4, 12, 36, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1),   // a depth axis with window 1
    ];

    private static readonly PoolSimdTests.ForwardAt[] Forwards =
    [
        PoolLines.Forward<Pool512, Vector512<float>, Vector512<int>>,
        PoolLines.Forward<Pool256, Vector256<float>, Vector256<int>>,
        PoolLines.Forward<Pool128, Vector128<float>, Vector128<int>>,
        PoolLines.Forward,
    ];

    private static readonly PoolSimdTests.BackwardAt[] Backwards =
    [
        PoolLines.Backward<Pool512, Vector512<float>, Vector512<int>>,
        PoolLines.Backward<Pool256, Vector256<float>, Vector256<int>>,
        PoolLines.Backward<Pool128, Vector128<float>, Vector128<int>>,
        PoolLines.Backward,
    ];

    public static TheoryData<bool, bool> Modes => new() { { true, false }, { false, false }, { false, true } };

    [Fact]
    public void EveryTestShapeIsOneTheKernelTakes()
    {
        foreach (var shape in Shapes)
        {
            Assert.True(PoolLines.Fits(PoolSimdTests.Plan(shape)), shape.ToString());
        }
        // Dilation, 2×2 stride 2 (its own path), stride 3 along the row and 3-D windows are not its.
        Assert.False(PoolLines.Fits(PoolSimdTests.Plan((2, 1, 24, 50, 1, 3, 3, 1, 1, 2, 2, 2, 0, 0, 2, 2))));
        Assert.False(PoolLines.Fits(PoolSimdTests.Plan((2, 1, 24, 50, 1, 2, 2, 1, 2, 2, 0, 0, 0, 0, 1, 1))));
        Assert.False(PoolLines.Fits(PoolSimdTests.Plan((2, 1, 19, 45, 1, 3, 5, 1, 3, 3, 1, 2, 0, 0, 1, 1))));
        Assert.False(PoolLines.Fits(PoolSimdTests.Plan((2, 5, 12, 36, 3, 3, 3, 2, 2, 2, 1, 1, 0, 0, 1, 1))));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void ForwardIsBitIdenticalToThePlainPathAtEveryWidth(bool max, bool includePad)
    {
        var rng = new Random(21);
        foreach (var shape in Shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            float[] x = Data(rng, p.Planes * p.InVolume);
            var expected = new float[p.Planes * p.OutVolume];
            PoolingKernels.PoolForwardKernel(p, max, includePad, x, expected);
            foreach (PoolSimdTests.ForwardAt forward in Forwards)
            {
                float[] actual = PoolSimdTests.Random(rng, expected.Length);
                fixed (float* px = x, py = actual)
                {
                    forward(p, max, includePad, px, py, 0, p.Planes);
                }
                PoolSimdTests.AssertBits(expected, actual, shape.ToString());
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void BackwardIsBitIdenticalToThePlainPathAtEveryWidth(bool max, bool includePad)
    {
        var rng = new Random(22);
        foreach (var shape in Shapes)
        {
            PoolPlan p = PoolSimdTests.Plan(shape);
            float[] x = Data(rng, p.Planes * p.InVolume);
            float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
            var expected = new float[x.Length];
            PoolingKernels.PoolBackwardKernel(p, max, includePad, x, dy, expected);
            foreach (PoolSimdTests.BackwardAt backward in Backwards)
            {
                float[] actual = PoolSimdTests.Random(rng, x.Length); // overwritten, not accumulated into
                fixed (float* px = x, pdy = dy, pdx = actual)
                {
                    backward(p, max, includePad, px, pdy, pdx, 0, p.Planes);
                }
                PoolSimdTests.AssertBits(expected, actual, shape.ToString());
            }
        }
    }

    [Fact]
    public void PlanesSplitAnywhereGiveTheSameBits()
    {
        var rng = new Random(23);
        PoolPlan p = PoolSimdTests.Plan((5, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        float[] x = Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
        float[] whole = new float[x.Length], parts = new float[x.Length];
        fixed (float* px = x, pdy = dy, pw = whole, pp = parts)
        {
            PoolLines.Backward(p, true, false, px, pdy, pw, 0, p.Planes);
            PoolLines.Backward(p, true, false, px, pdy, pp, 0, 2);
            PoolLines.Backward(p, true, false, px, pdy, pp, 2, 5);
        }
        PoolSimdTests.AssertBits(whole, parts, "split 0-2, 2-5");
    }

    [Theory]
    [InlineData(PoolingMode.Max)]
    [InlineData(PoolingMode.Average)]
    public void TheDispatcherGivesThePlainBitsWithTheSwitchOnAndOff(PoolingMode mode)
    {
        // Through PoolingKernels (planes split over the worker pool), ResNet's stem window.
        var geometry = new PoolingGeometry(mode, new ConvolutionGeometry([3, 3], [2, 2], [1, 1], [1, 1], [1, 1]));
        PoolPlan p = PoolPlan.Create(geometry, new Shape(3, 8, 30, 29));
        var rng = new Random(24);
        float[] x = Data(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
        var y = new float[dy.Length];
        var dx = new float[x.Length];
        PoolingKernels.PoolForwardKernel(p, mode == PoolingMode.Max, false, x, y);
        PoolingKernels.PoolBackwardKernel(p, mode == PoolingMode.Max, false, x, dy, dx);
        bool saved = PoolLines.Enabled;
        try
        {
            foreach (bool on in new[] { true, false })
            {
                PoolLines.Enabled = on;
                Assert.Equal(on && PoolSimd.Bits > 0, PoolLines.Takes(p));
                float[] yActual = PoolSimdTests.Random(rng, y.Length), dxActual = PoolSimdTests.Random(rng, dx.Length);
                fixed (float* px = x, py = yActual, pdy = dy, pdx = dxActual)
                {
                    PoolingKernels.Forward(p, geometry, DataType.Float32, (nint)px, (nint)py);
                    PoolingKernels.Backward(p, geometry, DataType.Float32, (nint)px, (nint)pdy, (nint)pdx);
                }
                PoolSimdTests.AssertBits(y, yActual, $"forward, switch {on}");
                PoolSimdTests.AssertBits(dx, dxActual, $"backward, switch {on}");
            }
        }
        finally
        {
            PoolLines.Enabled = saved;
        }
    }

    [Fact]
    public void AWindowOfMinusInfinitiesSendsItsGradientToItsFirstRealElement()
    {
        // 3×3 s1 p1 over a row of −∞: the left padding (held as −∞) must not take the tie.
        PoolPlan p = PoolSimdTests.Plan((1, 1, 3, 20, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        var x = new float[p.InVolume];
        Array.Fill(x, float.NegativeInfinity);
        var dy = new float[p.OutVolume];
        Array.Fill(dy, 1f);
        var expected = new float[x.Length];
        PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, expected);
        Assert.Equal(4f, expected[0]); // outputs (0,0), (0,1), (1,0), (1,1) all pick element (0,0)
        foreach (PoolSimdTests.BackwardAt backward in Backwards)
        {
            var dx = new float[x.Length];
            fixed (float* px = x, pdy = dy, pdx = dx)
            {
                backward(p, true, false, px, pdy, pdx, 0, 1);
            }
            PoolSimdTests.AssertBits(expected, dx, "all −∞");
        }
    }

    // The pooling tests' data with −∞ and +∞ among the levels.
    internal static float[] Data(Random rng, int n)
    {
        float[] data = PoolSimdTests.Data(rng, n);
        for (int i = 0; i < n; i += 1 + rng.Next(60))
        {
            data[i] = rng.Next(3) == 0 ? float.PositiveInfinity : float.NegativeInfinity;
        }
        return data;
    }
}
