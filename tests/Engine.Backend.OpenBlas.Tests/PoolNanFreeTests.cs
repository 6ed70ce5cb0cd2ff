using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The NaN-free stages of the flat 3×3 max forwards (<see cref="PoolLines.NanFree"/>) and the flat
/// 3×3 s1 gather from the kept taps (<see cref="PoolLines.FlatGatherFromArgMax{TOps, TF, TI}"/>) against
/// the plain per-position path, bit for bit, at each width: on data of ties, signed zeros and ±∞ with
/// no NaN (the NaN-free stages run), on planes mostly −∞ (the padding ties with real elements), and on
/// tensors where some planes hold a NaN and others not (those planes go back to the NaN-aware stages).
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolNanFreeTests
{
    internal delegate void ForwardKeeping(in PoolPlan p, float* x, float* y, byte* argMax, int first, int end);

    private delegate void BackwardKeeping(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end);

    internal static readonly (ForwardKeeping Forward, string Width)[] SameWidths =
    [
        (PoolLines.FlatForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
        (PoolLines.ForwardKeepingArgMax, "dispatch"),
    ];

    private static readonly (ForwardKeeping Forward, string Width)[] Stride2Widths =
    [
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatStride2ForwardKeepingArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
        (PoolLines.ForwardKeepingArgMax, "dispatch"),
    ];

    private static readonly (BackwardKeeping Backward, string Name)[] Gathers =
    [
        (PoolLines.FlatGatherFromArgMax<Pool512, Vector512<float>, Vector512<int>>, "flat gather 512"),
        (PoolLines.FlatGatherFromArgMax<Pool256, Vector256<float>, Vector256<int>>, "flat gather 256"),
        (PoolLines.FlatGatherFromArgMax<Pool128, Vector128<float>, Vector128<int>>, "flat gather 128"),
        (PoolLines.BackwardFromArgMax, "dispatch"),
    ];

    /// <summary>3×3 s1 p1 planes (planes, height, width): Inception's 28×28, batch 1, smaller than a vector, thin, odd.</summary>
    public static TheoryData<int, int, int> SamePlanes => new()
    {
        { 3, 28, 28 }, { 1, 28, 28 }, { 2, 6, 6 }, { 5, 1, 5 }, { 5, 7, 1 }, { 3, 9, 17 }, { 4, 1, 1 }, { 2, 2, 2 }, { 3, 33, 31 }, { 40, 3, 3 },
    };

    /// <summary>3×3 s2 p1 even planes (planes, height, width).</summary>
    public static TheoryData<int, int, int> EvenPlanes => new()
    {
        { 1, 112, 112 }, { 3, 56, 56 }, { 2, 2, 2 }, { 3, 4, 6 }, { 2, 8, 34 }, { 2, 30, 32 }, { 3, 2, 40 }, { 2, 36, 2 },
    };

    /// <summary>Max pooling data, four kinds: ties, ±0 and ±∞ without NaN; the same mostly −∞; with a NaN in every other plane; random numbers.</summary>
    internal static float[] Data(Random rng, in PoolPlan p, int kind)
    {
        float[] x = kind == 3 ? PoolSimdTests.Random(rng, p.Planes * p.InVolume) : PoolLinesTests.Data(rng, p.Planes * p.InVolume);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = float.IsNaN(x[i]) ? -0f : kind == 1 && rng.Next(6) != 0 ? float.NegativeInfinity : x[i];
        }
        if (kind == 2)
        {
            for (int plane = 0; plane < p.Planes; plane += 2)
            {
                x[(plane * p.InVolume) + rng.Next(p.InVolume)] = float.NaN;
            }
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(SamePlanes))]
    public void Stride1NanFreeForwardAndFlatGatherGiveThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlat(p) && PoolLines.TakesFlatGather(p));
        AgainstThePlainPath(p, new Random(61 + height), SameWidths);
    }

    [Theory]
    [MemberData(nameof(EvenPlanes))]
    public void Stride2NanFreeForwardGivesThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatStride2(p));
        AgainstThePlainPath(p, new Random(62 + width), Stride2Widths);
    }

    /// <summary>
    /// y, the taps and dx (through every gather, or the dispatcher's backward for s2) against the plain
    /// path's, with the NaN-free stages on and off: the same taps both ways; nothing written past the outputs.
    /// </summary>
    internal static void AgainstThePlainPath(in PoolPlan p, Random rng, (ForwardKeeping Forward, string Width)[] forwards)
    {
        bool nanFree = PoolLines.NanFree;
        try
        {
            for (int kind = 0; kind < 4; kind++)
            {
                float[] x = Data(rng, p, kind);
                float[] dy = PoolSimdTests.Random(rng, p.Planes * p.OutVolume), plain = new float[dy.Length], plainDx = new float[x.Length];
                PoolingKernels.PoolForwardKernel(p, true, false, x, plain);
                PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
                byte[] firstTaps = [];
                foreach (bool on in new[] { true, false })
                {
                    PoolLines.NanFree = on;
                    foreach (var (forward, name) in forwards)
                    {
                        float[] y = PoolSimdTests.Random(rng, dy.Length + 1);
                        var taps = new byte[dy.Length + 1];
                        taps[^1] = 0xA5;
                        float after = y[^1];
                        fixed (float* px = x, py = y)
                        fixed (byte* pt = taps)
                        {
                            forward(p, px, py, pt, 0, p.Planes);
                        }
                        string what = $"{p.Planes}×{p.InH}×{p.InW} kind {kind} NaN-free {on} at {name}";
                        PoolSimdTests.AssertBits(plain, y[..^1], "forward " + what);
                        Assert.Equal(after, y[^1]);
                        Assert.Equal(0xA5, taps[^1]);
                        firstTaps = firstTaps.Length == 0 ? taps : firstTaps;
                        Assert.Equal(firstTaps, taps);
                    }
                }
                BackwardsFromTheTaps(p, rng, firstTaps[..^1], dy, plainDx, $"kind {kind}");
            }
        }
        finally
        {
            PoolLines.NanFree = nanFree;
        }
    }

    /// <summary>dx from <paramref name="taps"/> by each gather (s1) or the dispatcher (s2), whole and in parts, against the plain path's.</summary>
    private static void BackwardsFromTheTaps(in PoolPlan p, Random rng, byte[] taps, float[] dy, float[] plainDx, string what)
    {
        foreach (var (backward, name) in PoolLines.IsThreeByThreeSame(p) ? Gathers : Gathers[^1..])
        {
            float[] dx = PoolSimdTests.Random(rng, plainDx.Length + 1); // overwritten but the last
            float after = dx[^1];
            fixed (float* pdy = dy, pdx = dx)
            fixed (byte* pt = taps)
            {
                backward(p, pt, pdy, pdx, 0, p.Planes);
            }
            PoolSimdTests.AssertBits(plainDx, dx[..^1], $"backward {p.Planes}×{p.InH}×{p.InW} {what} by {name}");
            Assert.Equal(after, dx[^1]);
            if (p.Planes < 2)
            {
                continue;
            }
            // Parts: the first part's dx only, the second part's first element untouched.
            float[] parts = PoolSimdTests.Random(rng, plainDx.Length);
            int half = p.Planes / 2;
            float sentinel = parts[half * p.InVolume];
            fixed (float* pdy = dy, pdx = parts)
            fixed (byte* pt = taps)
            {
                backward(p, pt, pdy, pdx, 0, half);
                Assert.Equal(sentinel, parts[half * p.InVolume]);
                backward(p, pt, pdy, pdx, half, p.Planes);
            }
            PoolSimdTests.AssertBits(plainDx, parts, $"backward {p.Planes}×{p.InH}×{p.InW} {what} by {name} in parts 0-{half}, {half}-{p.Planes}");
        }
    }

    [Fact]
    public void ANanAtTheEdgeOfAStride2BandGivesThePlainPathsBits()
    {
        // The s2 forward takes a plane in bands of 16 vectors (256, 128, 64 outputs), each NaN-free
        // or not by itself: a NaN at a band's last output (in each of the four phases) is the left
        // neighbour or the row above of the next band's first outputs, which run the NaN-free stages.
        PoolPlan p = PoolSimdTests.Plan((2, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        var rng = new Random(63);
        foreach (int o in new[] { 63, 127, 255, 511, 64, 28 })
        {
            for (int phase = 0; phase < 4; phase++)
            {
                float[] x = Data(rng, p, 3);
                int a = o / p.OutW, b = o % p.OutW;
                x[(((2 * a) + (phase >> 1)) * p.InW) + (2 * b) + (phase & 1)] = float.NaN;
                float[] plain = new float[p.Planes * p.OutVolume], dy = PoolSimdTests.Random(rng, plain.Length), plainDx = new float[x.Length];
                PoolingKernels.PoolForwardKernel(p, true, false, x, plain);
                PoolingKernels.PoolBackwardKernel(p, true, false, x, dy, plainDx);
                foreach (var (forward, name) in Stride2Widths)
                {
                    float[] y = new float[plain.Length], dx = new float[x.Length];
                    var taps = new byte[plain.Length];
                    fixed (float* px = x, py = y, pdy = dy, pdx = dx)
                    fixed (byte* pt = taps)
                    {
                        forward(p, px, py, pt, 0, p.Planes);
                        PoolLines.BackwardFromArgMax(p, pt, pdy, pdx, 0, p.Planes);
                    }
                    PoolSimdTests.AssertBits(plain, y, $"forward, NaN at output {o} phase {phase}, at {name}");
                    PoolSimdTests.AssertBits(plainDx, dx, $"backward, NaN at output {o} phase {phase}, at {name}");
                }
            }
        }
    }

    [Fact]
    public void TheSwitchesSendThePlansBack()
    {
        PoolPlan same = PoolSimdTests.Plan((2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 1, 1, 0, 0, 1, 1));
        PoolPlan noPad = PoolSimdTests.Plan((2, 1, 28, 28, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 1, 1));
        Assert.True(PoolLines.TakesFlatGather(same));
        Assert.False(PoolLines.TakesFlatGather(noPad));
        bool gather = PoolLines.FlatGather;
        try
        {
            PoolLines.FlatGather = false;
            Assert.False(PoolLines.TakesFlatGather(same));
        }
        finally
        {
            PoolLines.FlatGather = gather;
        }
    }
}
