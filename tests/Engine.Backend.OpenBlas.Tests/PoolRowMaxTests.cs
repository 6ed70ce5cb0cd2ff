using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// 3×3 s2 p1 max pooling forward keeping its taps straight from the input rows
/// (<see cref="PoolLines.RowMaxStride2ForwardKeepingArgMax{TOps, TF, TI}"/>) against the plain
/// per-position path (values, and dx through the kept taps) and the line kernel (taps), bit for bit,
/// at each width and through the dispatcher with <c>ENGINE_POOL_ROW_MAX_S2</c> on and off and the
/// NaN-free rows on and off (<c>ENGINE_POOL_NAN_FREE</c>; a row with a NaN is redone NaN-aware): data of
/// ties, NaNs, ±∞, ±0, data mostly −∞ (the padding ties with real elements), plain random numbers;
/// rows of whole vectors, rows ending in an overlapping vector, rows narrower than a vector; parts of
/// the planes, writing nothing past their last output.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolRowMaxTests
{
    private delegate void ForwardKeeping(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end);

    private static readonly (ForwardKeeping Forward, string Width)[] Kernels =
    [
        (PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.RowMaxStride2ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
        (PoolLines.ForwardKeepingArgMax, "dispatch"),
    ];

    /// <summary>Even planes (planes, height, width): ResNet-18's 112×112, 56×56, outputs of 17, 20, 24, 33 columns (overlapping last vectors), 1, 3, 5 (narrow), thin.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 1, 112, 112 }, { 3, 56, 56 }, { 2, 6, 34 }, { 2, 4, 40 }, { 2, 6, 48 }, { 2, 4, 66 }, { 2, 2, 2 }, { 3, 4, 6 }, { 2, 8, 10 }, { 2, 36, 2 }, { 3, 2, 40 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void ForwardKeepsThePlainPathsValuesAndTheLineKernelsTaps(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.Fits(p) && PoolLines.IsStride2Even(p));
        var rng = new Random(61 + width + height);
        bool saved = PoolLines.RowMaxStride2, savedNanFree = PoolLines.NanFree;
        try
        {
            foreach (int data in new[] { 0, 1, 2 })
            {
                (float[] x, float[] dy, float[] plain, float[] plainDx) = PoolArgMaxTests.PlainMax(rng, p, mostlyInfinite: data == 1);
                if (data == 2)
                {
                    // Plain random numbers: no ties, no NaN.
                    x = PoolSimdTests.Random(rng, x.Length);
                    PoolingKernels.PoolForwardKernel(p, true, false, x, plain);
                    PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
                }
                var lineTaps = new byte[dy.Length];
                fixed (float* px = x, py = new float[dy.Length])
                fixed (byte* pt = lineTaps)
                {
                    PoolLines.ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>(p, px, py, pt, 0, p.Planes);
                }
                foreach (var (on, nanFree) in new[] { (true, true), (true, false), (false, true) })
                {
                    PoolLines.RowMaxStride2 = on;
                    PoolLines.NanFree = nanFree;
                    foreach (var (forward, name) in Kernels)
                    {
                        float[] y = PoolSimdTests.Random(rng, dy.Length + 16), dx = PoolSimdTests.Random(rng, x.Length);
                        float[] after = y[dy.Length..];
                        var taps = new byte[dy.Length + 1];
                        taps[^1] = 0xA5;
                        fixed (float* px = x, py = y, pdy = dy, pdx = dx)
                        fixed (byte* pt = taps)
                        {
                            forward(p, px, py, pt, 0, p.Planes);
                            PoolLines.BackwardFromArgMax(p, pt, pdy, pdx, 0, p.Planes);
                        }
                        string what = $"{planes}×{height}×{width} data {data} at {name}, switch {on}, NaN-free {nanFree}";
                        PoolSimdTests.AssertBits(plain, y[..dy.Length], "forward " + what);
                        PoolSimdTests.AssertBits(after, y[dy.Length..], "past the outputs " + what);
                        PoolSimdTests.AssertBits(plainDx, dx, "backward " + what);
                        Assert.Equal(0xA5, taps[^1]);
                        Assert.True(lineTaps.AsSpan().SequenceEqual(taps.AsSpan(0, dy.Length)), "taps " + what);
                    }
                }
            }
        }
        finally
        {
            PoolLines.RowMaxStride2 = saved;
            PoolLines.NanFree = savedNanFree;
        }
    }

    [Fact]
    public void PartsWriteOnlyTheirPlanesAndGiveTheWholesBits()
    {
        var rng = new Random(67);
        foreach (var (h, w) in new[] { (112, 112), (6, 34), (4, 6) })
        {
            PoolPlan p = PoolSimdTests.Plan((5, 1, h, w, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
            float[] x = PoolLinesTests.Data(rng, p.Planes * p.InVolume);
            int area = p.OutVolume;
            float[] y = new float[(5 * area) + 16], whole = new float[5 * area];
            byte[] taps = new byte[(5 * area) + 16], wholeTaps = new byte[5 * area];
            foreach (var (forward, name) in Kernels[..3])
            {
                Array.Fill(y, 7f);
                Array.Fill(taps, (byte)0xA5);
                fixed (float* px = x, py = y, pw = whole)
                fixed (byte* pt = taps, pwt = wholeTaps)
                {
                    forward(p, px, py, pt, 1, 3);
                    Assert.All(y[..area], v => Assert.Equal(7f, v));
                    Assert.All(y[(3 * area)..], v => Assert.Equal(7f, v));
                    Assert.All(taps[..area], v => Assert.Equal(0xA5, v));
                    Assert.All(taps[(3 * area)..], v => Assert.Equal(0xA5, v));
                    forward(p, px, py, pt, 0, 1);
                    forward(p, px, py, pt, 3, 5);
                    forward(p, px, pw, pwt, 0, 5);
                }
                PoolSimdTests.AssertBits(whole, y[..(5 * area)], $"{h}×{w} at {name} in parts 0-1, 1-3, 3-5");
                Assert.Equal(wholeTaps, taps[..(5 * area)]);
                Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
            }
        }
    }
}
