using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float pooling of any window, stride, padding and dilation, vectorised over the output columns of
/// a row: the columns whose window lies inside the input row go a vector at a time, the edges (where
/// padding or the input's end cuts the window) take the plain per-position code of
/// <see cref="PoolingKernels"/>. With a column stride above 1 each input plane is first split into
/// its stride phases (for stride 2, its even and odd columns) so every tap is one contiguous load.
/// </summary>
/// <remarks>
/// Results are bit-for-bit those of the plain path: taps are visited in its scan order (depth, row,
/// column) with its first-maximum rule as lane masks, sums start at zero and add in the same order,
/// and max backward adds dy into dx output by output in the same order (overlapping windows).
/// The kernels skip tiered compilation (AggressiveOptimization): a layer calls them once per step,
/// so tier 0's uninlined vector calls would otherwise run for the first 30 steps.
/// Average backward is vectorised for column stride 1 only, visiting a row's taps from the last
/// column to the first so every dx element still receives its shares in output order.
/// </remarks>
internal static unsafe class PoolSimd
{
    /// <summary>
    /// Vector width in bits: the widest the CPU runs natively, or 0 (off: the plain path does every
    /// window) — overridable with <c>ENGINE_POOL_SIMD=off|128|256|512</c> to measure the variants
    /// against each other in one build.
    /// </summary>
    public static int Bits { get; } = SmallGemm.ChooseBits(Environment.GetEnvironmentVariable("ENGINE_POOL_SIMD"));

    [ThreadStatic] private static float[]? t_phases;
    [ThreadStatic] private static int[]? t_positions;

    /// <summary>Planes [first, end) forward, at the width <see cref="Bits"/> and the row's interior allow.</summary>
    public static void Forward(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
    {
        int interior = Interior(p).Count;
        if (Bits >= 512 && interior >= 16)
        {
            Forward<Pool512, Vector512<float>, Vector512<int>>(p, max, includePad, x, y, first, end);
        }
        else if (Bits >= 256 && interior >= 8)
        {
            Forward<Pool256, Vector256<float>, Vector256<int>>(p, max, includePad, x, y, first, end);
        }
        else if (Bits > 0)
        {
            Forward<Pool128, Vector128<float>, Vector128<int>>(p, max, includePad, x, y, first, end);
        }
        else
        {
            PlainRows(p, max, includePad, x, y, first, end);
        }
    }

    /// <summary>Planes [first, end) backward (dx of those planes overwritten).</summary>
    public static void Backward(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end)
    {
        int interior = Interior(p).Count;
        if (Bits >= 512 && interior >= 16)
        {
            Backward<Pool512, Vector512<float>, Vector512<int>>(p, max, includePad, x, dy, dx, first, end);
        }
        else if (Bits >= 256 && interior >= 8)
        {
            Backward<Pool256, Vector256<float>, Vector256<int>>(p, max, includePad, x, dy, dx, first, end);
        }
        else if (Bits > 0)
        {
            Backward<Pool128, Vector128<float>, Vector128<int>>(p, max, includePad, x, dy, dx, first, end);
        }
        else
        {
            PlainRowsBackward(p, max, includePad, x, dy, dx, first, end);
        }
    }

    /// <summary>Forward at one width (tests run every width against the plain path).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Forward<TOps, TF, TI>(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (!max && IsWholePlane(p))
        {
            WholePlaneAverage(p, x, y, first, end);
            return;
        }
        var (lo, count) = Interior(p);
        int lanes = TOps.Lanes;
        if (count < lanes || p.KW > 1024)
        {
            PlainRows(p, max, includePad, x, y, first, end);
            return;
        }
        int* taps = stackalloc int[p.KW];
        var (rowStride, phaseLength) = Layout(p);
        TapOffsets(p, phaseLength, taps);
        float* phases = p.SW == 1 ? null : Scratch(ref t_phases, p.InD * p.InH * rowStride);
        float fullWindow = p.KD * p.KH * p.KW;
        for (int plane = first; plane < end; plane++)
        {
            float* xp = x + ((long)plane * p.InVolume), yp = y + ((long)plane * p.OutVolume);
            float* source = phases is null ? xp : SplitPhases<TOps, TF, TI>(p, xp, phases, rowStride, phaseLength);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = PoolingKernels.Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++, o += p.OutW)
                {
                    (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    int rows = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH);
                    float* yr = yp + o;
                    if (rows == 0)
                    {
                        new Span<float>(yr, p.OutW).Clear();
                        continue;
                    }
                    TF divisor = TOps.Splat(includePad ? fullWindow : rows * p.KW);
                    for (int ow = 0; ow < lo; ow++)
                    {
                        yr[ow] = PoolingKernels.ForwardAt(p, max, includePad, new ReadOnlySpan<float>(xp, p.InVolume), d0, d1, h0, h1, ow);
                    }
                    // Vectors over [lo, lo + count); a last partial vector is redone overlapping the one before.
                    for (int c = 0; c < count; c += lanes)
                    {
                        int ow = lo + Math.Min(c, count - lanes);
                        TF acc = max ? TOps.Load(source + RowAt(p, d0, h0, rowStride) + ow + taps[0]) : TOps.Zero;
                        for (int d = d0; d < d1; d += p.DD)
                        {
                            for (int h = h0; h < h1; h += p.DH)
                            {
                                float* row = source + RowAt(p, d, h, rowStride) + ow;
                                for (int t = 0; t < p.KW; t++)
                                {
                                    TF v = TOps.Load(row + taps[t]);
                                    acc = max ? TOps.Select(TOps.Beats(v, acc), v, acc) : TOps.Add(acc, v);
                                }
                            }
                        }
                        TOps.Store(max ? acc : TOps.Divide(acc, divisor), yr + ow);
                    }
                    for (int ow = lo + count; ow < p.OutW; ow++)
                    {
                        yr[ow] = PoolingKernels.ForwardAt(p, max, includePad, new ReadOnlySpan<float>(xp, p.InVolume), d0, d1, h0, h1, ow);
                    }
                }
            }
        }
    }

    /// <summary>Backward at one width; dx of planes [first, end) is overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Backward<TOps, TF, TI>(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        if (!max && IsWholePlane(p))
        {
            WholePlaneAverageBackward(p, dy, dx, first, end);
            return;
        }
        var (lo, count) = Interior(p);
        int lanes = TOps.Lanes;
        new Span<float>(dx + ((long)first * p.InVolume), (end - first) * p.InVolume).Clear();
        if (count < lanes || p.KW > 1024 || (!max && p.SW != 1))
        {
            PlainRowsBackward(p, max, includePad, x, dy, dx, first, end);
            return;
        }
        int* taps = stackalloc int[p.KW];
        var (rowStride, phaseLength) = Layout(p);
        TapOffsets(p, phaseLength, taps);
        float* phases = p.SW == 1 ? null : Scratch(ref t_phases, p.InD * p.InH * rowStride);
        int* positions = max ? (int*)Unsafe.AsPointer(ref Scratch(ref t_positions, p.OutW)[0]) : null;
        float fullWindow = p.KD * p.KH * p.KW;
        for (int plane = first; plane < end; plane++)
        {
            float* xp = x + ((long)plane * p.InVolume), dxp = dx + ((long)plane * p.InVolume), dyp = dy + ((long)plane * p.OutVolume);
            float* source = phases is null || !max ? xp : SplitPhases<TOps, TF, TI>(p, xp, phases, rowStride, phaseLength);
            int o = 0;
            for (int od = 0; od < p.OutD; od++)
            {
                (int d0, int d1) = PoolingKernels.Taps(od, p.SD, p.PD, p.KD, p.DD, p.InD);
                for (int oh = 0; oh < p.OutH; oh++, o += p.OutW)
                {
                    (int h0, int h1) = PoolingKernels.Taps(oh, p.SH, p.PH, p.KH, p.DH, p.InH);
                    int rows = ((d1 - d0) / p.DD) * ((h1 - h0) / p.DH);
                    if (rows == 0)
                    {
                        continue;
                    }
                    float* gy = dyp + o;
                    if (max)
                    {
                        MaxRowPositions<TOps, TF, TI>(p, xp, source, rowStride, taps, d0, d1, h0, h1, lo, count, positions);
                        // dy goes where the forward pass took its value, output by output (windows may overlap).
                        for (int ow = 0; ow < p.OutW; ow++)
                        {
                            int at = positions[ow];
                            if (at >= 0)
                            {
                                dxp[at] += gy[ow];
                            }
                        }
                        continue;
                    }
                    float divisor = includePad ? fullWindow : rows * p.KW;
                    for (int ow = 0; ow < lo; ow++)
                    {
                        PoolingKernels.AverageBackwardAt(p, includePad, new Span<float>(dxp, p.InVolume), gy[ow], d0, d1, h0, h1, ow);
                    }
                    int c = 0;
                    for (; c + lanes <= count; c += lanes)
                    {
                        int ow = lo + c;
                        TF share = TOps.Divide(TOps.Load(gy + ow), TOps.Splat(divisor));
                        for (int d = d0; d < d1; d += p.DD)
                        {
                            for (int h = h0; h < h1; h += p.DH)
                            {
                                float* row = dxp + RowAt(p, d, h, p.InW) + ow;
                                // Last tap first: a dx element then gets its shares in output (column) order.
                                for (int t = p.KW - 1; t >= 0; t--)
                                {
                                    TOps.Store(TOps.Add(TOps.Load(row + taps[t]), share), row + taps[t]);
                                }
                            }
                        }
                    }
                    for (int ow = lo + c; ow < p.OutW; ow++)
                    {
                        PoolingKernels.AverageBackwardAt(p, includePad, new Span<float>(dxp, p.InVolume), gy[ow], d0, d1, h0, h1, ow);
                    }
                }
            }
        }
    }

    /// <summary>The plane position of each output column's first maximum in one output row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MaxRowPositions<TOps, TF, TI>(in PoolPlan p, float* xp, float* source, int rowStride, int* taps,
        int d0, int d1, int h0, int h1, int lo, int count, int* positions)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int lanes = TOps.Lanes;
        for (int ow = 0; ow < lo; ow++)
        {
            positions[ow] = PoolingKernels.ArgMaxAt(p, new ReadOnlySpan<float>(xp, p.InVolume), d0, d1, h0, h1, ow);
        }
        for (int c = 0; c < count; c += lanes)
        {
            int ow = lo + Math.Min(c, count - lanes);
            // Lane i's window starts at input column (ow + i)·stride − pad.
            TI ramp = TOps.Ramp((ow * p.SW) - p.PW, p.SW);
            TF best = TOps.Load(source + RowAt(p, d0, h0, rowStride) + ow + taps[0]);
            TI at = TOps.Shift(ramp, RowAt(p, d0, h0, p.InW));
            for (int d = d0; d < d1; d += p.DD)
            {
                for (int h = h0; h < h1; h += p.DH)
                {
                    float* row = source + RowAt(p, d, h, rowStride) + ow;
                    int rowStart = RowAt(p, d, h, p.InW);
                    for (int t = 0; t < p.KW; t++)
                    {
                        TF v = TOps.Load(row + taps[t]);
                        TF wins = TOps.Beats(v, best);
                        best = TOps.Select(wins, v, best);
                        at = TOps.SelectIndex(wins, TOps.Shift(ramp, rowStart + (t * p.DW)), at);
                    }
                }
            }
            TOps.StoreIndex(at, positions + ow);
        }
        for (int ow = lo + count; ow < p.OutW; ow++)
        {
            positions[ow] = PoolingKernels.ArgMaxAt(p, new ReadOnlySpan<float>(xp, p.InVolume), d0, d1, h0, h1, ow);
        }
    }

    /// <summary>
    /// The output columns [lo, lo + count) whose whole window lies inside the input row (no
    /// padding, no clipping at the end): the ones the vector loop takes.
    /// </summary>
    internal static (int Lo, int Count) Interior(in PoolPlan p)
    {
        int lo = (p.PW + p.SW - 1) / p.SW;
        int last = p.InW - 1 - ((p.KW - 1) * p.DW) + p.PW;
        int hi = last < 0 ? 0 : Math.Min(p.OutW, (last / p.SW) + 1);
        return (Math.Min(lo, p.OutW), Math.Max(0, hi - lo));
    }

    /// <summary>A window that is the whole plane (global average pooling).</summary>
    private static bool IsWholePlane(in PoolPlan p) =>
        p.OutVolume == 1 && p.KD == p.InD && p.KH == p.InH && p.KW == p.InW
        && p.PD == 0 && p.PH == 0 && p.PW == 0 && p.DD == 1 && p.DH == 1 && p.DW == 1;

    /// <summary>Row length and phase length of the phase-split plane (the plane itself for stride 1).</summary>
    private static (int RowStride, int PhaseLength) Layout(in PoolPlan p)
    {
        int phaseLength = (p.InW + p.SW - 1) / p.SW;
        return p.SW == 1 ? (p.InW, 0) : (p.SW * phaseLength, phaseLength);
    }

    /// <summary>
    /// Where tap t of output column 0 lies in a phase-split row, plus the column: input column
    /// c = ow·s + t·dilation − pad is element ⌊c/s⌋ of phase c mod s.
    /// </summary>
    private static void TapOffsets(in PoolPlan p, int phaseLength, int* taps)
    {
        for (int t = 0; t < p.KW; t++)
        {
            int offset = (t * p.DW) - p.PW;
            int phase = ((offset % p.SW) + p.SW) % p.SW;
            taps[t] = (phase * phaseLength) + ((offset - phase) / p.SW);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RowAt(in PoolPlan p, int d, int h, int rowStride) => ((d * p.InH) + h) * rowStride;

    /// <summary>Copies a plane into its column phases (row by row: phase 0, phase 1, …).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float* SplitPhases<TOps, TF, TI>(in PoolPlan p, float* xp, float* phases, int rowStride, int phaseLength)
        where TOps : IPoolLanes<TF, TI> where TF : struct where TI : struct
    {
        int rows = p.InD * p.InH, s = p.SW, lanes = TOps.Lanes;
        for (int r = 0; r < rows; r++)
        {
            float* source = xp + ((long)r * p.InW), target = phases + ((long)r * rowStride);
            int c = 0;
            if (s == 2)
            {
                for (; c + (2 * lanes) <= p.InW; c += 2 * lanes)
                {
                    TOps.Deinterleave(source + c, target + (c / 2), target + phaseLength + (c / 2));
                }
            }
            for (; c < p.InW; c++)
            {
                target[((c % s) * phaseLength) + (c / s)] = source[c];
            }
        }
        return phases;
    }

    /// <summary>
    /// Means of whole planes, summed in element order as the plain path does, eight planes side by
    /// side (eight independent add chains keep both of a core's add ports busy), the rest one at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WholePlaneAverage(in PoolPlan p, float* x, float* y, int first, int end)
    {
        int n = p.InVolume;
        float volume = n;
        int plane = first;
        for (; plane + 8 <= end; plane += 8)
        {
            float* a = x + ((long)plane * n);
            float* b = a + (4L * n);
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            for (int i = 0; i < n; i++)
            {
                s0 += a[i];
                s1 += a[n + i];
                s2 += a[(2 * n) + i];
                s3 += a[(3 * n) + i];
                s4 += b[i];
                s5 += b[n + i];
                s6 += b[(2 * n) + i];
                s7 += b[(3 * n) + i];
            }
            y[plane] = s0 / volume;
            y[plane + 1] = s1 / volume;
            y[plane + 2] = s2 / volume;
            y[plane + 3] = s3 / volume;
            y[plane + 4] = s4 / volume;
            y[plane + 5] = s5 / volume;
            y[plane + 6] = s6 / volume;
            y[plane + 7] = s7 / volume;
        }
        for (; plane < end; plane++)
        {
            float* a = x + ((long)plane * n);
            float sum = 0;
            for (int i = 0; i < n; i++)
            {
                sum += a[i];
            }
            y[plane] = sum / volume;
        }
    }

    /// <summary>
    /// Every element of a plane gets its plane's share (0 + share, as the plain path's cleared dx
    /// gives), stored a vector at a time here rather than by <c>Span.Fill</c>: its generic body was
    /// measured still running quick-jitted after 200 passes (global average pooling's backward 1.6×
    /// PyTorch's time).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WholePlaneAverageBackward(in PoolPlan p, float* dy, float* dx, int first, int end)
    {
        int n = p.InVolume;
        float volume = n;
        for (int plane = first; plane < end; plane++)
        {
            float share = 0f + (dy[plane] / volume);
            float* target = dx + ((long)plane * n);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var lanes = Vector512.Create(share);
                for (; i + Vector512<float>.Count <= n; i += Vector512<float>.Count)
                {
                    lanes.Store(target + i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var lanes = Vector256.Create(share);
                for (; i + Vector256<float>.Count <= n; i += Vector256<float>.Count)
                {
                    lanes.Store(target + i);
                }
            }
            for (; i < n; i++)
            {
                target[i] = share;
            }
        }
    }

    private static void PlainRows(in PoolPlan p, bool max, bool includePad, float* x, float* y, int first, int end)
    {
        PoolPlan part = p with { Planes = end - first };
        PoolingKernels.PoolForwardKernel(part, max, includePad, new ReadOnlySpan<float>(x + ((long)first * p.InVolume), part.Planes * p.InVolume),
            new Span<float>(y + ((long)first * p.OutVolume), part.Planes * p.OutVolume));
    }

    private static void PlainRowsBackward(in PoolPlan p, bool max, bool includePad, float* x, float* dy, float* dx, int first, int end)
    {
        PoolPlan part = p with { Planes = end - first };
        PoolingKernels.PoolBackwardKernel(part, max, includePad, new ReadOnlySpan<float>(x + ((long)first * p.InVolume), part.Planes * p.InVolume),
            new ReadOnlySpan<float>(dy + ((long)first * p.OutVolume), part.Planes * p.OutVolume),
            new Span<float>(dx + ((long)first * p.InVolume), part.Planes * p.InVolume));
    }

    /// <summary>A per-thread buffer of at least <paramref name="length"/> elements, grown (never shrunk) on demand.</summary>
    private static T[] Scratch<T>(ref T[]? buffer, int length) where T : unmanaged
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = GC.AllocateUninitializedArray<T>(Math.Max(length, 64), pinned: true);
        }
        return buffer;
    }

    private static float* Scratch(ref float[]? buffer, int length) =>
        (float*)Unsafe.AsPointer(ref Scratch<float>(ref buffer, length)[0]);
}
