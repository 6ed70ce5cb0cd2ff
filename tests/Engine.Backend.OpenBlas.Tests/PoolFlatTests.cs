using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The flat-plane pooling kernels against the plain per-position path, bit for bit, at each width
/// and through the dispatcher: 3×3 s1 p1 average forward and backward (<see cref="PoolLines.FlatAverageForward{TOps, TF, TI}"/>),
/// 3×3 s2 p1 max forward keeping its taps (<see cref="PoolLines.FlatStride2ForwardKeepingArgMax{TOps, TF, TI}"/>), on
/// odd sizes, planes smaller than a vector, batch 1, random data (where another order of additions
/// gives other bits) and data full of ties, NaNs, signed zeros and ±∞.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolFlatTests
{
    internal delegate void AverageForward(in PoolPlan p, bool includePad, float* x, float* y, int first, int end);

    internal delegate void AverageBackward(in PoolPlan p, bool includePad, float* dy, float* dx, int first, int end);

    private delegate void ForwardKeeping(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end);

    internal static readonly (AverageForward Forward, AverageBackward Backward, string Width)[] AverageWidths =
    [
        (PoolLines.FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>, PoolLines.FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatAverageForward<Pool256, Vector256<float>, Vector256<int>>, PoolLines.FlatAverageBackward<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatAverageForward<Pool128, Vector128<float>, Vector128<int>>, PoolLines.FlatAverageBackward<Pool128, Vector128<float>, Vector128<int>>, "128"),
        ((in PoolPlan p, bool i, float* x, float* y, int f, int e) => PoolLines.Forward(p, false, i, x, y, f, e),
            (in PoolPlan p, bool i, float* dy, float* dx, int f, int e) => PoolLines.Backward(p, false, i, null, dy, dx, f, e), "dispatch"),
    ];

    private static readonly (ForwardKeeping Forward, string Width)[] Stride2Widths =
    [
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
        (PoolLines.ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "row by row 512"),
        (PoolLines.ForwardKeepingArgMax, "dispatch"),
    ];

    /// <summary>3×3 s1 p1 planes (planes, height, width): Inception's 28×28, batch 1, planes smaller than a vector, odd and thin ones.</summary>
    public static TheoryData<int, int, int> SamePlanes => new()
    {
        { 3, 28, 28 }, { 1, 28, 28 }, { 2, 6, 6 }, { 5, 1, 5 }, { 5, 7, 1 }, { 3, 9, 17 }, { 4, 1, 1 }, { 2, 2, 2 }, { 1, 33, 31 },
    };

    /// <summary>3×3 s2 p1 even planes (planes, height, width): ResNet-18's 112×112 at batch 1, 56×56, narrower than a vector, thin.</summary>
    public static TheoryData<int, int, int> EvenPlanes => new()
    {
        { 1, 112, 112 }, { 3, 56, 56 }, { 2, 2, 2 }, { 3, 4, 6 }, { 2, 8, 34 }, { 2, 30, 32 }, { 3, 2, 40 }, { 2, 36, 2 },
    };

    [Theory]
    [MemberData(nameof(SamePlanes))]
    public void AverageForwardAndBackwardAreThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.Fits(p) && PoolLines.IsThreeByThreeSame(p));
        AgainstThePlainPath(p, new Random(41 + height), AverageWidths);
    }

    private static readonly (AverageForward Forward, AverageBackward Backward, string Width)[] AverageStride2Widths =
    [
        (PoolLines.FlatAverageStride2Forward<Pool512, Vector512<float>, Vector512<int>>, PoolLines.FlatAverageStride2Backward<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatAverageStride2Forward<Pool256, Vector256<float>, Vector256<int>>, PoolLines.FlatAverageStride2Backward<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatAverageStride2Forward<Pool128, Vector128<float>, Vector128<int>>, PoolLines.FlatAverageStride2Backward<Pool128, Vector128<float>, Vector128<int>>, "128"),
        AverageWidths[^1],
    ];

    [Theory]
    [MemberData(nameof(EvenPlanes))]
    public void AverageStride2ForwardAndBackwardAreThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatAverageStride2(p));
        AgainstThePlainPath(p, new Random(47 + width), AverageStride2Widths);
    }

    /// <summary>
    /// y and dx of each average kernel against the plain path's, bit for bit, on random numbers (a sum
    /// in another order differs in about half the windows) and on ties, NaNs, ±∞, ±0, counting the
    /// padding or not; nothing written past the last output.
    /// </summary>
    internal static void AgainstThePlainPath(in PoolPlan p, Random rng, (AverageForward Forward, AverageBackward Backward, string Width)[] kernels)
    {
        foreach (bool plainData in new[] { true, false })
        {
            float[] x = plainData ? PoolSimdTests.Random(rng, p.Planes * p.InVolume) : PoolLinesTests.Data(rng, p.Planes * p.InVolume);
            float[] dy = plainData ? PoolSimdTests.Random(rng, p.Planes * p.OutVolume) : PoolLinesTests.Data(rng, p.Planes * p.OutVolume);
            foreach (bool includePad in new[] { false, true })
            {
                float[] y = new float[dy.Length], dx = new float[x.Length];
                PoolingKernels.PoolForwardKernel(p, false, includePad, x, y);
                PoolingKernels.PoolBackwardKernel(p, false, includePad, x, dy, dx);
                foreach (var (forward, backward, name) in kernels)
                {
                    float[] yActual = PoolSimdTests.Random(rng, y.Length + 16), dxActual = PoolSimdTests.Random(rng, dx.Length + 16);
                    float[] yAfter = yActual[y.Length..], dxAfter = dxActual[dx.Length..];
                    fixed (float* px = x, py = yActual, pdy = dy, pdx = dxActual)
                    {
                        forward(p, includePad, px, py, 0, p.Planes);
                        backward(p, includePad, pdy, pdx, 0, p.Planes);
                    }
                    string what = $"{p.Planes}×{p.InH}×{p.InW} include pad {includePad} plain data {plainData} at {name}";
                    PoolSimdTests.AssertBits(y, yActual[..y.Length], "forward " + what);
                    PoolSimdTests.AssertBits(dx, dxActual[..dx.Length], "backward " + what);
                    PoolSimdTests.AssertBits(yAfter, yActual[y.Length..], "past the outputs " + what);
                    PoolSimdTests.AssertBits(dxAfter, dxActual[dx.Length..], "past dx " + what);
                }
            }
        }
    }

    [Fact]
    public void AverageStoresStopAtThePartsLastOutputAndPartsGiveTheWholesBits()
    {
        var rng = new Random(43);
        foreach (var (h, w) in new[] { (28, 28), (1, 5), (3, 3), (9, 17) })
        {
            PoolPlan p = PoolSimdTests.Plan((5, 1, h, w, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
            float[] x = PoolSimdTests.Random(rng, p.Planes * p.InVolume), dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume);
            int area = h * w;
            float[] y = new float[(5 * area) + 16], dx = new float[(5 * area) + 16], yWhole = new float[5 * area], dxWhole = new float[5 * area];
            Array.Fill(y, 7f);
            Array.Fill(dx, 7f);
            fixed (float* px = x, pdy = dy, py = y, pdx = dx, pyw = yWhole, pdxw = dxWhole)
            {
                PoolLines.FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>(p, false, px, py, 0, 2);
                PoolLines.FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>(p, false, pdy, pdx, 0, 2);
                Assert.All(y[(2 * area)..], v => Assert.Equal(7f, v));
                Assert.All(dx[(2 * area)..], v => Assert.Equal(7f, v));
                PoolLines.FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>(p, false, px, py, 2, 5);
                PoolLines.FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>(p, false, pdy, pdx, 2, 5);
                PoolLines.FlatAverageForward<Pool512, Vector512<float>, Vector512<int>>(p, false, px, pyw, 0, 5);
                PoolLines.FlatAverageBackward<Pool512, Vector512<float>, Vector512<int>>(p, false, pdy, pdxw, 0, 5);
            }
            PoolSimdTests.AssertBits(yWhole, y[..(5 * area)], $"forward {h}×{w} split 0-2, 2-5");
            PoolSimdTests.AssertBits(dxWhole, dx[..(5 * area)], $"backward {h}×{w} split 0-2, 2-5");
            Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
        }
    }

    [Theory]
    [MemberData(nameof(EvenPlanes))]
    public void MaxStride2ForwardKeepsThePlainPathsValuesAndTheLineKernelsTaps(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.Fits(p) && PoolLines.TakesFlatStride2(p));
        var rng = new Random(44 + width);
        foreach (bool mostlyInfinite in new[] { false, true })
        {
            (float[] x, float[] dy, float[] plain, float[] plainDx) = PoolArgMaxTests.PlainMax(rng, p, mostlyInfinite);
            byte[] firstTaps = [];
            foreach (var (forward, name) in Stride2Widths)
            {
                float[] y = PoolSimdTests.Random(rng, dy.Length), dx = PoolSimdTests.Random(rng, x.Length);
                var taps = new byte[dy.Length + 1];
                taps[^1] = 0xA5;
                fixed (float* px = x, py = y, pdy = dy, pdx = dx)
                fixed (byte* pt = taps)
                {
                    forward(p, px, py, pt, 0, p.Planes);
                    PoolLines.BackwardFromArgMax(p, pt, pdy, pdx, 0, p.Planes);
                }
                string what = $"{planes}×{height}×{width} mostly −∞ {mostlyInfinite} at {name}";
                PoolSimdTests.AssertBits(plain, y, "forward " + what);
                PoolSimdTests.AssertBits(plainDx, dx, "backward " + what);
                Assert.Equal(0xA5, taps[^1]);
                firstTaps = firstTaps.Length == 0 ? taps : firstTaps;
                Assert.Equal(firstTaps, taps);
            }
        }
    }

    private delegate void BackwardKeeping(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end);

    private static readonly (BackwardKeeping Backward, string Name)[] Stride2Backwards =
    [
        (PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>, "gather 512"),
        (PoolLines.GatherStride2FromArgMax<Pool256, Vector256<float>, Vector256<int>>, "gather 256"),
        (PoolLines.GatherStride2FromArgMax<Pool128, Vector128<float>, Vector128<int>>, "gather 128"),
        (PoolLines.ScatterFromArgMax, "scatter"),
        (PoolLines.BackwardFromArgMax, "dispatch"),
    ];

    [Theory]
    [MemberData(nameof(EvenPlanes))]
    public void MaxStride2GatherFromTheKeptTapsGivesThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        var rng = new Random(46 + height);
        foreach (bool ties in new[] { false, true })
        {
            // Ties (many equal values) send several outputs to one element: the order of their adds shows.
            float[] x = ties ? PoolSimdTests.Random(rng, p.Planes * p.InVolume).Select(v => MathF.Round(v)).ToArray() : PoolLinesTests.Data(rng, p.Planes * p.InVolume);
            float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume), plainDx = new float[x.Length], y = new float[dy.Length];
            PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
            var taps = new byte[dy.Length];
            fixed (float* px = x, py = y)
            fixed (byte* pt = taps)
            {
                PoolLines.ForwardKeepingArgMax(p, px, py, pt, 0, p.Planes);
            }
            foreach (var (backward, name) in Stride2Backwards)
            {
                float[] dx = PoolSimdTests.Random(rng, x.Length); // overwritten
                fixed (float* pdy = dy, pdx = dx)
                fixed (byte* pt = taps)
                {
                    backward(p, pt, pdy, pdx, 0, p.Planes);
                }
                PoolSimdTests.AssertBits(plainDx, dx, $"backward {planes}×{height}×{width} ties {ties} by {name}");
            }
            if (planes == 1)
            {
                continue;
            }
            // And planes split: the part's dx only, the next plane's untouched.
            float[] parts = PoolSimdTests.Random(rng, x.Length);
            float sentinel = parts[p.InVolume];
            fixed (float* pdy = dy, pdx = parts)
            fixed (byte* pt = taps)
            {
                PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>(p, pt, pdy, pdx, 0, 1);
                Assert.Equal(sentinel, parts[p.InVolume]);
                PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>(p, pt, pdy, pdx, 1, p.Planes);
            }
            PoolSimdTests.AssertBits(plainDx, parts, $"backward {planes}×{height}×{width} split 0-1, 1-{planes}");
        }
    }

    [Fact]
    public void MaxStride2PartsStopAtTheirLastOutputAndGiveTheWholesBits()
    {
        var rng = new Random(45);
        PoolPlan p = PoolSimdTests.Plan((5, 1, 10, 14, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume);
        int outputs = p.Planes * p.OutVolume;
        float[] y = new float[outputs + 16], yWhole = new float[outputs];
        byte[] taps = new byte[outputs + 16], tapsWhole = new byte[outputs];
        Array.Fill(y, 7f);
        Array.Fill(taps, (byte)0xA5);
        fixed (float* px = x, py = y, pyw = yWhole)
        fixed (byte* pt = taps, ptw = tapsWhole)
        {
            PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, px, py, pt, 3, 5);
            Assert.All(y[..(3 * p.OutVolume)], v => Assert.Equal(7f, v));
            Assert.All(y[outputs..], v => Assert.Equal(7f, v));
            PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, px, py, pt, 0, 3);
            PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, px, pyw, ptw, 0, 5);
        }
        PoolSimdTests.AssertBits(yWhole, y[..outputs], "forward split 3-5, 0-3");
        Assert.Equal(tapsWhole, taps[..outputs]);
        Assert.All(taps[outputs..], b => Assert.Equal(0xA5, b));
    }

    [Fact]
    public void OnlyTheirWindowsGoFlatAndTheSwitchesSendThemBack()
    {
        PoolPlan odd = PoolSimdTests.Plan((2, 1, 57, 57, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));       // odd plane: padding below and right
        PoolPlan ceil = PoolSimdTests.Plan((2, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1));      // ceil mode: one more output
        PoolPlan stride1NoPad = PoolSimdTests.Plan((2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 1, 1));
        Assert.False(PoolLines.TakesFlatStride2(odd));
        Assert.False(PoolLines.TakesFlatStride2(ceil));
        Assert.False(PoolLines.TakesFlatAverage(stride1NoPad));
        PoolPlan even = PoolSimdTests.Plan((2, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        PoolPlan same = PoolSimdTests.Plan((2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatStride2(even));
        Assert.True(PoolLines.TakesFlatAverage(same));
        (bool s2, bool avg) = (PoolLines.FlatStride2, PoolLines.FlatAverage);
        try
        {
            PoolLines.FlatStride2 = false;
            PoolLines.FlatAverage = false;
            Assert.False(PoolLines.TakesFlatStride2(even));
            Assert.False(PoolLines.TakesFlatAverage(same));
        }
        finally
        {
            (PoolLines.FlatStride2, PoolLines.FlatAverage) = (s2, avg);
        }
    }
}
