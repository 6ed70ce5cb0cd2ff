using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The NaN-free 3×3 s1 p1 arg-max forward and the gather from the kept taps row by row in registers
/// (<c>ENGINE_POOL_ROW_MAX_S1</c>, <c>ENGINE_POOL_ROW_GATHER_S1</c>, rows of more than one and at most two
/// vectors) against the plain per-position path, bit for bit, at each width and through the dispatcher,
/// switches on and off, NaN-free stages on and off: y, the same taps as the flat stages, dx through every
/// gather; ties, ±0, ±∞, mostly −∞ planes, a NaN in every other plane (those planes go back to the
/// NaN-aware stages), random numbers; planes read in place and the tensor's last (copied); parts of the
/// planes writing nothing past their outputs.
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolRowMaxStride1Tests
{
    /// <summary>(planes, height, width): rows of two vectors at 512 bits (17–32 columns), at 256 (9–16), at 128 (5–8), one row, two rows.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 5, 28, 28 }, { 1, 28, 28 }, { 4, 9, 17 }, { 3, 7, 32 }, { 3, 5, 20 }, { 6, 1, 24 }, { 3, 2, 30 }, { 4, 6, 12 }, { 3, 5, 16 },
        { 4, 7, 6 }, { 3, 3, 8 }, { 5, 1, 5 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void ForwardIsThePlainPathsBitsWithTheFlatStagesTaps(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlat(p));
        bool saved = PoolLines.RowMaxStride1, savedGather = PoolLines.RowGatherStride1;
        try
        {
            foreach (var (forward, gather) in new[] { (true, true), (false, true), (true, false), (false, false) })
            {
                PoolLines.RowMaxStride1 = forward;
                PoolLines.RowGatherStride1 = gather;
                PoolNanFreeTests.AgainstThePlainPath(p, new Random(71 + height + width), PoolNanFreeTests.SameWidths);
            }
        }
        finally
        {
            PoolLines.RowMaxStride1 = saved;
            PoolLines.RowGatherStride1 = savedGather;
        }
    }

    [Fact]
    public void PartsWriteOnlyTheirPlanesAndGiveTheWholesBits()
    {
        var rng = new Random(73);
        bool saved = PoolLines.RowMaxStride1;
        try
        {
            PoolLines.RowMaxStride1 = true;
            foreach (var (h, w) in new[] { (28, 28), (9, 17), (1, 24), (4, 12), (3, 6) })
            {
                PoolPlan p = PoolSimdTests.Plan((7, 1, h, w, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
                float[] x = PoolNanFreeTests.Data(rng, p, 0);
                int area = h * w;
                foreach (var (forward, name) in PoolNanFreeTests.SameWidths)
                {
                    float[] y = new float[(7 * area) + 64], yWhole = new float[7 * area];
                    byte[] taps = new byte[(7 * area) + 64], tapsWhole = new byte[7 * area];
                    Array.Fill(y, 7f);
                    Array.Fill(taps, (byte)0xA5);
                    fixed (float* px = x, py = y, pyw = yWhole)
                    fixed (byte* pt = taps, ptw = tapsWhole)
                    {
                        forward(p, px, py, pt, 2, 5);
                        Assert.All(y[..(2 * area)], v => Assert.Equal(7f, v));
                        Assert.All(y[(5 * area)..], v => Assert.Equal(7f, v));
                        Assert.All(taps[..(2 * area)], v => Assert.Equal(0xA5, v));
                        Assert.All(taps[(5 * area)..], v => Assert.Equal(0xA5, v));
                        forward(p, px, py, pt, 0, 2);
                        forward(p, px, py, pt, 5, 7);
                        forward(p, px, pyw, ptw, 0, 7);
                    }
                    PoolSimdTests.AssertBits(yWhole, y[..(7 * area)], $"forward {h}×{w} at {name} split 2-5, 0-2, 5-7");
                    Assert.Equal(tapsWhole, taps[..(7 * area)]);
                    Assert.All(y[(7 * area)..], v => Assert.Equal(7f, v));
                    Assert.All(taps[(7 * area)..], v => Assert.Equal(0xA5, v));
                }
            }
        }
        finally
        {
            PoolLines.RowMaxStride1 = saved;
        }
    }

    private delegate void BackwardKeeping(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end);

    [Fact]
    public void GatherPartsWriteOnlyTheirPlanesAndGiveThePlainPathsBits()
    {
        var rng = new Random(89);
        bool saved = PoolLines.RowGatherStride1;
        try
        {
            PoolLines.RowGatherStride1 = true;
            foreach (var (h, w) in new[] { (28, 28), (9, 17), (1, 24), (4, 12), (3, 6), (5, 32) })
            {
                PoolPlan p = PoolSimdTests.Plan((7, 1, h, w, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
                // Rounded data: many ties, so one dx element hears from several outputs.
                float[] x = PoolSimdTests.Random(rng, p.Planes * p.InVolume).Select(v => MathF.Round(v)).ToArray();
                float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume), y = new float[dy.Length], plainDx = new float[x.Length];
                PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
                var taps = new byte[dy.Length];
                fixed (float* px = x, py = y)
                fixed (byte* pt = taps)
                {
                    PoolLines.ForwardKeepingArgMax(p, px, py, pt, 0, p.Planes);
                }
                int area = h * w;
                foreach (var (backward, name) in new (BackwardKeeping, string)[]
                {
                    (PoolLines.FlatGatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
                    (PoolLines.FlatGatherFromArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
                    (PoolLines.FlatGatherFromArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
                })
                {
                    float[] dx = new float[(7 * area) + 64];
                    Array.Fill(dx, 7f);
                    fixed (float* pdy = dy, pdx = dx)
                    fixed (byte* pt = taps)
                    {
                        backward(p, pt, pdy, pdx, 2, 5);
                        Assert.All(dx[..(2 * area)], v => Assert.Equal(7f, v));
                        Assert.All(dx[(5 * area)..], v => Assert.Equal(7f, v));
                        backward(p, pt, pdy, pdx, 0, 2);
                        backward(p, pt, pdy, pdx, 5, 7);
                    }
                    PoolSimdTests.AssertBits(plainDx, dx[..(7 * area)], $"gather {h}×{w} at {name} split 2-5, 0-2, 5-7");
                    Assert.All(dx[(7 * area)..], v => Assert.Equal(7f, v));
                }
            }
        }
        finally
        {
            PoolLines.RowGatherStride1 = saved;
        }
    }

    private delegate void ForwardValues(in PoolPlan p, float* x, float* y, int first, int end);

    private static readonly (ForwardValues Forward, string Width)[] ValueWidths =
    [
        ((in PoolPlan p, float* x, float* y, int f, int e) => PoolLines.Forward<Pool512, Vector512<float>, Vector512<int>>(p, true, false, x, y, f, e), "512"),
        ((in PoolPlan p, float* x, float* y, int f, int e) => PoolLines.Forward<Pool256, Vector256<float>, Vector256<int>>(p, true, false, x, y, f, e), "256"),
        ((in PoolPlan p, float* x, float* y, int f, int e) => PoolLines.Forward<Pool128, Vector128<float>, Vector128<int>>(p, true, false, x, y, f, e), "128"),
        ((in PoolPlan p, float* x, float* y, int f, int e) => PoolLines.Forward(p, true, false, x, y, f, e), "dispatch"),
    ];

    /// <summary>The value-only (inference) forward, row by row where the rows take two vectors, the line kernel for a plane with a NaN: the plain path's bits, whole and in parts.</summary>
    [Theory]
    [MemberData(nameof(Planes))]
    public void ValuesOnlyForwardIsThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        var rng = new Random(97 + height + width);
        bool saved = PoolLines.RowMaxStride1;
        try
        {
            for (int kind = 0; kind < 4; kind++)
            {
                float[] x = PoolNanFreeTests.Data(rng, p, kind), plain = new float[p.Planes * p.OutVolume];
                PoolingKernels.PoolForwardKernel(p, true, false, x, plain);
                foreach (bool on in new[] { true, false })
                {
                    PoolLines.RowMaxStride1 = on;
                    foreach (var (forward, name) in ValueWidths)
                    {
                        float[] y = PoolSimdTests.Random(rng, plain.Length + 16), after = y[plain.Length..];
                        int middle = p.Planes / 2;
                        fixed (float* px = x, py = y)
                        {
                            forward(p, px, py, middle, p.Planes);
                            forward(p, px, py, 0, middle);
                        }
                        string what = $"{p.Planes}×{p.InH}×{p.InW} kind {kind} rows {on} at {name}";
                        PoolSimdTests.AssertBits(plain, y[..plain.Length], "forward " + what);
                        PoolSimdTests.AssertBits(after, y[plain.Length..], "past the outputs " + what);
                    }
                }
            }
        }
        finally
        {
            PoolLines.RowMaxStride1 = saved;
        }
    }
}
