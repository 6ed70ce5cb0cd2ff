using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The 3×3 s2 p1 backwards with streaming stores for dx (<c>ENGINE_POOL_STREAM_DX</c>, the size
/// threshold lowered to 0 here) against the plain path, bit for bit, at each width: the average's
/// and the max's gather from the kept taps, on 64-byte aligned dx whose rows are whole lines; and
/// which passes stream (big enough, aligned, rows of a multiple of 16 floats, the switch on).
/// </summary>
[Collection(nameof(PoolLinesSwitchCollection))]
public sealed unsafe class PoolStreamDxTests
{
    private delegate void AverageBackward(in PoolPlan p, bool includePad, float* dy, float* dx, int first, int end);

    private delegate void GatherBackward(in PoolPlan p, byte* argMax, float* dy, float* dx, int first, int end);

    private static readonly (AverageBackward Average, GatherBackward Gather, string Width)[] Kernels =
    [
        (PoolLines.FlatAverageStride2Backward<Pool512, Vector512<float>, Vector512<int>>, PoolLines.GatherStride2FromArgMax<Pool512, Vector512<float>, Vector512<int>>, "512"),
        (PoolLines.FlatAverageStride2Backward<Pool256, Vector256<float>, Vector256<int>>, PoolLines.GatherStride2FromArgMax<Pool256, Vector256<float>, Vector256<int>>, "256"),
        (PoolLines.FlatAverageStride2Backward<Pool128, Vector128<float>, Vector128<int>>, PoolLines.GatherStride2FromArgMax<Pool128, Vector128<float>, Vector128<int>>, "128"),
    ];

    /// <summary>Even planes whose rows are whole 64-byte lines (planes, height, width): 112×112, 32, 48, 64 and 16 wide.</summary>
    public static TheoryData<int, int, int> Planes => new()
    {
        { 2, 112, 112 }, { 2, 8, 32 }, { 3, 30, 32 }, { 2, 6, 48 }, { 2, 4, 64 }, { 2, 2, 16 },
    };

    [Theory]
    [MemberData(nameof(Planes))]
    public void StreamedBackwardsAreThePlainPathsBits(int planes, int height, int width)
    {
        PoolPlan p = PoolSimdTests.Plan((planes, 1, height, width, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1));
        var rng = new Random(71 + width);
        long saved = PoolLines.StreamDxBytes;
        float* dx = (float*)NativeMemory.AlignedAlloc((nuint)(p.Planes * p.InVolume * sizeof(float)), 64);
        try
        {
            PoolLines.StreamDxBytes = 0;
            Assert.True(PoolLines.StreamsDx(p, dx));
            (float[] x, float[] dy, _, float[] plainMaxDx) = PoolArgMaxTests.PlainMax(rng, p, mostlyInfinite: false);
            var taps = new byte[dy.Length];
            float[] plainAverageDx = new float[x.Length];
            PoolingKernels.PoolBackwardKernel(p, false, false, x, dy, plainAverageDx);
            fixed (float* px = x, py = new float[dy.Length])
            fixed (byte* pt = taps)
            {
                PoolLines.ForwardKeepingArgMax(p, px, py, pt, 0, p.Planes);
            }
            foreach (var (average, gather, name) in Kernels)
            {
                var span = new Span<float>(dx, x.Length);
                span.Fill(float.NaN);
                fixed (float* pdy = dy)
                fixed (byte* pt = taps)
                {
                    average(p, false, pdy, dx, 0, p.Planes);
                    PoolSimdTests.AssertBits(plainAverageDx, span.ToArray(), $"average {planes}×{height}×{width} at {name}");
                    span.Fill(float.NaN);
                    gather(p, pt, pdy, dx, 0, p.Planes);
                    PoolSimdTests.AssertBits(plainMaxDx, span.ToArray(), $"max {planes}×{height}×{width} at {name}");
                }
            }
        }
        finally
        {
            PoolLines.StreamDxBytes = saved;
            NativeMemory.AlignedFree(dx);
        }
    }

    [Fact]
    public void OnlyBigAlignedPassesOfWholeLineRowsStream()
    {
        float* dx = (float*)NativeMemory.AlignedAlloc(64, 64);
        bool saved = PoolLines.StreamDx;
        try
        {
            PoolPlan stem = PoolSimdTests.Plan((16 * 64, 1, 112, 112, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1)); // 51 MB of dx
            PoolPlan small = PoolSimdTests.Plan((64, 1, 112, 112, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1)); // 3.2 MB
            PoolPlan narrow = PoolSimdTests.Plan((16 * 64 * 4, 1, 56, 56, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1)); // rows of 56 floats
            Assert.True(PoolLines.StreamsDx(stem, dx));
            Assert.False(PoolLines.StreamsDx(stem, dx + 1));
            Assert.False(PoolLines.StreamsDx(small, dx));
            Assert.False(PoolLines.StreamsDx(narrow, dx));
            PoolLines.StreamDx = false;
            Assert.False(PoolLines.StreamsDx(stem, dx));
        }
        finally
        {
            PoolLines.StreamDx = saved;
            NativeMemory.AlignedFree(dx);
        }
    }
}
