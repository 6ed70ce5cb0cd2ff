using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Streaming (non-temporal) stores for the dx of the 3×3 s2 p1 backwards on even planes
/// (<see cref="GatherStride2FromArgMax{TOps, TF, TI}"/>, <see cref="FlatAverageStride2Backward{TOps, TF, TI}"/>).
/// Those passes write dx four times the size of what they read, and a plain store reads each line
/// before writing it: they ran at the speed of a plain copy of dx (ResNet's stem pool at batch 16:
/// 51 MB). Streaming stores skip that read (a copy: 4.4 → 3.0 ms). Only for a dx far beyond the
/// cache (<see cref="StreamDxBytes"/>: the next backward reads it from memory anyway; a small dx
/// is left in the cache for it) whose rows all start on a 64-byte boundary; the values are the
/// same bits (only the store instruction differs); each pass ends with a store fence, so the
/// worker pool's hand-over orders them. <c>ENGINE_POOL_STREAM_DX=off</c> keeps plain stores.
/// </summary>
internal static unsafe partial class PoolLines
{
    /// <summary>On unless <c>ENGINE_POOL_STREAM_DX=off</c>.</summary>
    public static bool StreamDx { get; set; } = SwitchOn("ENGINE_POOL_STREAM_DX");

    /// <summary>The least dx, in bytes, that is streamed: half the 32 MB third-level cache of the reference machine (settable for tests).</summary>
    internal static long StreamDxBytes { get; set; } = 16L << 20;

    /// <summary>Whether the 3×3 s2 backward of this plan streams its dx at <paramref name="dx"/>: big enough, every row 64-byte aligned.</summary>
    internal static bool StreamsDx(in PoolPlan p, float* dx) =>
        StreamDx && (long)p.Planes * p.InVolume * sizeof(float) >= StreamDxBytes && ((nint)dx & 63) == 0 && p.InW % 16 == 0;

    /// <summary><see cref="StoreInterleaved{TOps, TF, TI}(TF, TF, float*, int, float*)"/>, by streaming stores where asked and the pair is whole.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreInterleaved<TOps, TF, TI>(TF even, TF odd, float* destination, int count, float* tail, bool stream)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (stream && count >= 2 * TOps.Lanes)
        {
            TOps.InterleaveStreaming(even, odd, destination);
            return;
        }
        StoreInterleaved<TOps, TF, TI>(even, odd, destination, count, tail);
    }

    /// <summary>Orders a pass's streaming stores before whatever the thread does next (its hand-over to the pool).</summary>
    private static void StoreFence()
    {
        if (Sse.IsSupported)
        {
            Sse.StoreFence();
            return;
        }
        Interlocked.MemoryBarrier();
    }
}
