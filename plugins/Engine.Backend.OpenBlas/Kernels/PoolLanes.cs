using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The vector operations pooling needs over one width (float values, int32 positions of the same
/// lane count), so <see cref="PoolSimd"/> is written once and the JIT compiles a copy per width, as
/// <see cref="ISimdFloat{TVector}"/> does for the GEMM kernels.
/// </summary>
internal unsafe interface IPoolLanes<TF, TI> where TF : struct where TI : struct
{
    /// <summary>Floats (and ints) per vector.</summary>
    static abstract int Lanes { get; }

    /// <summary>All lanes zero.</summary>
    static abstract TF Zero { get; }

    /// <summary>Loads <see cref="Lanes"/> floats (no alignment needed).</summary>
    static abstract TF Load(float* source);

    /// <summary>Stores <see cref="Lanes"/> floats.</summary>
    static abstract void Store(TF value, float* destination);

    /// <summary>Every lane set to <paramref name="value"/>.</summary>
    static abstract TF Splat(float value);

    /// <summary>a + b per lane.</summary>
    static abstract TF Add(TF a, TF b);

    /// <summary>a / b per lane.</summary>
    static abstract TF Divide(TF a, TF b);

    /// <summary>Lane mask of <see cref="PoolingKernels.Beats{T}"/>: candidate &gt; best, or candidate NaN and best not.</summary>
    static abstract TF Beats(TF candidate, TF best);

    /// <summary>Per lane: mask set → a, else b.</summary>
    static abstract TF Select(TF mask, TF a, TF b);

    /// <summary><paramref name="value"/> where <paramref name="mask"/>'s lanes are all ones, +0 where they are zeros (a bitwise and).</summary>
    static abstract TF Keep(TF mask, TF value);

    /// <summary>Per lane of a float mask: set → a, else b, on positions.</summary>
    static abstract TI SelectIndex(TF mask, TI a, TI b);

    /// <summary>Lane i holds start + i·step.</summary>
    static abstract TI Ramp(int start, int step);

    /// <summary>Every lane plus <paramref name="offset"/>.</summary>
    static abstract TI Shift(TI positions, int offset);

    /// <summary>Stores <see cref="Lanes"/> positions.</summary>
    static abstract void StoreIndex(TI value, int* destination);

    /// <summary>Splits 2·<see cref="Lanes"/> floats into their even and odd elements (stride-2 windows).</summary>
    static abstract void Deinterleave(float* source, float* even, float* odd);

    /// <summary>a · b per lane.</summary>
    static abstract TF Multiply(TF a, TF b);

    /// <summary>Lane mask of a == b (floats; NaN never equal).</summary>
    static abstract TF Equal(TF a, TF b);

    /// <summary>Loads <see cref="Lanes"/> positions.</summary>
    static abstract TI LoadIndex(int* source);

    /// <summary>Every position lane set to <paramref name="value"/>.</summary>
    static abstract TI SplatIndex(int value);

    /// <summary>Lane mask (as floats) of a == b on positions.</summary>
    static abstract TF IndexEqual(TI a, TI b);

    /// <summary>Stores even and odd lanes interleaved: 2·<see cref="Lanes"/> floats even₀ odd₀ even₁ odd₁ …</summary>
    static abstract void Interleave(TF even, TF odd, float* destination);

    /// <summary>Stores the low byte of each position (a kept max-pooling tap): <see cref="Lanes"/> bytes, no more.</summary>
    static abstract void StoreBytes(TI value, byte* destination);

    /// <summary>Loads <see cref="Lanes"/> bytes (kept max-pooling taps) as positions, zero-extended; reads no more.</summary>
    static abstract TI LoadBytes(byte* source);

    /// <summary>Lane mask of candidate &gt; best: <see cref="Beats"/> where neither is NaN.</summary>
    static abstract TF Greater(TF candidate, TF best);

    /// <summary>candidate &gt; best ? candidate : best per lane (x86 max: a tie keeps best, so the first of equals stays).</summary>
    static abstract TF Max(TF candidate, TF best);

    /// <summary>Whether no lane is NaN.</summary>
    static abstract bool AllNumbers(TF value);

    /// <summary>Loads 2·Lanes floats and returns their even and odd elements, in registers (<see cref="Deinterleave"/> stores them).</summary>
    static abstract void LoadDeinterleaved(float* source, out TF even, out TF odd);

    /// <summary>Lane 0 <paramref name="previous"/>'s last lane, lane i &gt; 0 <paramref name="current"/>'s lane i − 1: a run's left neighbours.</summary>
    static abstract TF ShiftIn(TF previous, TF current);

    /// <summary>Lane i &lt; Lanes − 1 <paramref name="current"/>'s lane i + 1, the last lane <paramref name="next"/>'s lane 0: a run's right neighbours.</summary>
    static abstract TF ShiftOut(TF current, TF next);

    /// <summary><see cref="ShiftIn"/> of index vectors.</summary>
    static abstract TI ShiftInIndex(TI previous, TI current);

    /// <summary><see cref="ShiftOut"/> of index vectors.</summary>
    static abstract TI ShiftOutIndex(TI current, TI next);

    /// <summary>
    /// <see cref="Interleave"/> by streaming (non-temporal) stores where the CPU has them, to a
    /// destination aligned to the vector's size: the lines are written without being read first.
    /// The caller fences (<see cref="PoolLines"/>' <c>StoreFence</c>) before another thread reads them.
    /// </summary>
    static abstract void InterleaveStreaming(TF even, TF odd, float* destination);
}

/// <summary>AVX-512: 16 lanes.</summary>
internal readonly unsafe struct Pool512 : IPoolLanes<Vector512<float>, Vector512<int>>
{
    // Index vectors are written out where they are used (Vector512.Create of constants), not kept in
    // static readonly fields: a kernel compiled with AggressiveOptimization before this struct's
    // statics are initialised reads such a field from memory, through the class-initialisation check,
    // on every use; measured: the row max forward ran at 8.2 ms instead of 3.5 in such a process, and
    // Vector512.Shuffle by an index that is not a constant is not one instruction.
    private static Vector512<int> Split => Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);

    public static int Lanes => Vector512<float>.Count;
    public static Vector512<float> Zero => Vector512<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Load(float* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector512<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Splat(float value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Beats(Vector512<float> candidate, Vector512<float> best) =>
        Vector512.GreaterThan(candidate, best) | Vector512.AndNot(Vector512.Equals(best, best), Vector512.Equals(candidate, candidate));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Select(Vector512<float> mask, Vector512<float> a, Vector512<float> b) => Vector512.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> ShiftInIndex(Vector512<int> previous, Vector512<int> current) => ShiftIn(previous.AsSingle(), current.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> ShiftOutIndex(Vector512<int> current, Vector512<int> next) => ShiftOut(current.AsSingle(), next.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Keep(Vector512<float> mask, Vector512<float> value) => mask & value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> SelectIndex(Vector512<float> mask, Vector512<int> a, Vector512<int> b) => Vector512.ConditionalSelect(mask.AsInt32(), a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Ramp(int start, int step) => Vector512.Create(start) + (Vector512<int>.Indices * step);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> Shift(Vector512<int> positions, int offset) => positions + Vector512.Create(offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreIndex(Vector512<int> value, int* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* even, float* odd)
    {
        if (Avx512F.IsSupported)
        {
            LoadDeinterleaved(source, out Vector512<float> e, out Vector512<float> o);
            e.Store(even);
            o.Store(odd);
            return;
        }
        Vector512<float> a = Vector512.Shuffle(Vector512.Load(source), Split), b = Vector512.Shuffle(Vector512.Load(source + 16), Split);
        Vector512.Create(a.GetLower(), b.GetLower()).Store(even);
        Vector512.Create(a.GetUpper(), b.GetUpper()).Store(odd);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDeinterleaved(float* source, out Vector512<float> even, out Vector512<float> odd)
    {
        Vector512<float> a = Vector512.Load(source), b = Vector512.Load(source + 16);
        if (Avx512F.IsSupported)
        {
            // vpermt2ps: index i < 16 picks a[i], 16 + i picks b[i].
            even = Avx512F.PermuteVar16x32x2(a, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
            odd = Avx512F.PermuteVar16x32x2(a, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
            return;
        }
        a = Vector512.Shuffle(a, Split);
        b = Vector512.Shuffle(b, Split);
        even = Vector512.Create(a.GetLower(), b.GetLower());
        odd = Vector512.Create(a.GetUpper(), b.GetUpper());
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ShiftIn(Vector512<float> previous, Vector512<float> current)
    {
        if (Avx512F.IsSupported)
        {
            // valignd: (current : previous) shifted down fifteen lanes (no index vector to load).
            return Avx512F.AlignRight32(current.AsInt32(), previous.AsInt32(), 15).AsSingle();
        }
        float* both = stackalloc float[32];
        previous.Store(both);
        current.Store(both + 16);
        return Vector512.Load(both + 15);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> ShiftOut(Vector512<float> current, Vector512<float> next)
    {
        if (Avx512F.IsSupported)
        {
            // valignd: (next : current) shifted down one lane.
            return Avx512F.AlignRight32(next.AsInt32(), current.AsInt32(), 1).AsSingle();
        }
        float* both = stackalloc float[32];
        current.Store(both);
        next.Store(both + 16);
        return Vector512.Load(both + 1);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Equal(Vector512<float> a, Vector512<float> b) => Vector512.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> LoadIndex(int* source) => Vector512.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<int> SplatIndex(int value) => Vector512.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> IndexEqual(Vector512<int> a, Vector512<int> b) => Vector512.Equals(a, b).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector512<float> even, Vector512<float> odd, float* destination)
    {
        if (Avx512F.IsSupported)
        {
            // vpermt2ps picks from both sources: index i < 16 is even[i], 16 + i is odd[i].
            Avx512F.PermuteVar16x32x2(even, Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), odd).Store(destination);
            Avx512F.PermuteVar16x32x2(even, Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), odd).Store(destination + 16);
            return;
        }
        PoolInterleave.Scalar(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InterleaveStreaming(Vector512<float> even, Vector512<float> odd, float* destination)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.PermuteVar16x32x2(even, Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23), odd).StoreAlignedNonTemporal(destination);
            Avx512F.PermuteVar16x32x2(even, Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31), odd).StoreAlignedNonTemporal(destination + 16);
            return;
        }
        Interleave(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(Vector512<int> value, byte* destination)
    {
        if (Avx512F.IsSupported)
        {
            Avx512F.ConvertToVector128Byte(value).Store(destination);
            return;
        }
        PoolBytes.Store(value, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<int> LoadBytes(byte* source) =>
        Avx512F.IsSupported ? Avx512F.ConvertToVector512Int32(Vector128.Load(source)) : PoolBytes.Load<Vector512<int>>(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Greater(Vector512<float> candidate, Vector512<float> best) => Vector512.GreaterThan(candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Max(Vector512<float> candidate, Vector512<float> best) =>
        Avx512F.IsSupported ? Avx512F.Max(candidate, best) : Vector512.ConditionalSelect(Vector512.GreaterThan(candidate, best), candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllNumbers(Vector512<float> value) => Vector512.EqualsAll(value, value);
}
internal readonly unsafe struct Pool256 : IPoolLanes<Vector256<float>, Vector256<int>>
{
    // Written out where used, not a static readonly field (see Pool512).
    private static Vector256<int> Split => Vector256.Create(0, 2, 4, 6, 1, 3, 5, 7);

    public static int Lanes => Vector256<float>.Count;
    public static Vector256<float> Zero => Vector256<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Load(float* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector256<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Splat(float value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Beats(Vector256<float> candidate, Vector256<float> best) =>
        Vector256.GreaterThan(candidate, best) | Vector256.AndNot(Vector256.Equals(best, best), Vector256.Equals(candidate, candidate));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Select(Vector256<float> mask, Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> ShiftInIndex(Vector256<int> previous, Vector256<int> current) => ShiftIn(previous.AsSingle(), current.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> ShiftOutIndex(Vector256<int> current, Vector256<int> next) => ShiftOut(current.AsSingle(), next.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Keep(Vector256<float> mask, Vector256<float> value) => mask & value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> SelectIndex(Vector256<float> mask, Vector256<int> a, Vector256<int> b) => Vector256.ConditionalSelect(mask.AsInt32(), a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Ramp(int start, int step) => Vector256.Create(start) + (Vector256<int>.Indices * step);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> Shift(Vector256<int> positions, int offset) => positions + Vector256.Create(offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreIndex(Vector256<int> value, int* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* even, float* odd)
    {
        Vector256<float> a = Vector256.Shuffle(Vector256.Load(source), Split), b = Vector256.Shuffle(Vector256.Load(source + 8), Split);
        Vector256.Create(a.GetLower(), b.GetLower()).Store(even);
        Vector256.Create(a.GetUpper(), b.GetUpper()).Store(odd);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDeinterleaved(float* source, out Vector256<float> even, out Vector256<float> odd)
    {
        Vector256<float> a = Vector256.Shuffle(Vector256.Load(source), Split), b = Vector256.Shuffle(Vector256.Load(source + 8), Split);
        even = Vector256.Create(a.GetLower(), b.GetLower());
        odd = Vector256.Create(a.GetUpper(), b.GetUpper());
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ShiftIn(Vector256<float> previous, Vector256<float> current)
    {
        if (Avx2.IsSupported)
        {
            // [previous' upper half, current's lower half], then each 128-bit half of current shifted
            // up one lane with the lane below it taken from there (vpalignr per half).
            Vector256<byte> straddle = Avx.Permute2x128(previous, current, 0x21).AsByte();
            return Avx2.AlignRight(current.AsByte(), straddle, 12).AsSingle();
        }
        float* both = stackalloc float[16];
        previous.Store(both);
        current.Store(both + 8);
        return Vector256.Load(both + 7);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> ShiftOut(Vector256<float> current, Vector256<float> next)
    {
        if (Avx2.IsSupported)
        {
            // [current's upper half, next's lower half], then each 128-bit half of current shifted
            // down one lane with the lane above it taken from there (vpalignr per half).
            Vector256<byte> straddle = Avx.Permute2x128(current, next, 0x21).AsByte();
            return Avx2.AlignRight(straddle, current.AsByte(), 4).AsSingle();
        }
        float* both = stackalloc float[16];
        current.Store(both);
        next.Store(both + 8);
        return Vector256.Load(both + 1);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Equal(Vector256<float> a, Vector256<float> b) => Vector256.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> LoadIndex(int* source) => Vector256.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<int> SplatIndex(int value) => Vector256.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> IndexEqual(Vector256<int> a, Vector256<int> b) => Vector256.Equals(a, b).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector256<float> even, Vector256<float> odd, float* destination)
    {
        if (Avx.IsSupported)
        {
            // unpcklps/unpckhps interleave within each 128-bit half; vperm2f128 puts the halves in order.
            Vector256<float> low = Avx.UnpackLow(even, odd), high = Avx.UnpackHigh(even, odd);
            Avx.Permute2x128(low, high, 0x20).Store(destination);
            Avx.Permute2x128(low, high, 0x31).Store(destination + 8);
            return;
        }
        PoolInterleave.Scalar(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InterleaveStreaming(Vector256<float> even, Vector256<float> odd, float* destination)
    {
        if (Avx.IsSupported)
        {
            Vector256<float> low = Avx.UnpackLow(even, odd), high = Avx.UnpackHigh(even, odd);
            Avx.Permute2x128(low, high, 0x20).StoreAlignedNonTemporal(destination);
            Avx.Permute2x128(low, high, 0x31).StoreAlignedNonTemporal(destination + 8);
            return;
        }
        Interleave(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(Vector256<int> value, byte* destination)
    {
        if (Avx512F.VL.IsSupported)
        {
            *(ulong*)destination = Avx512F.VL.ConvertToVector128Byte(value).AsUInt64().ToScalar();
            return;
        }
        PoolBytes.Store(value, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadBytes(byte* source) =>
        Avx2.IsSupported ? Avx2.ConvertToVector256Int32(source) : PoolBytes.Load<Vector256<int>>(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Greater(Vector256<float> candidate, Vector256<float> best) => Vector256.GreaterThan(candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Max(Vector256<float> candidate, Vector256<float> best) =>
        Avx.IsSupported ? Avx.Max(candidate, best) : Vector256.ConditionalSelect(Vector256.GreaterThan(candidate, best), candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllNumbers(Vector256<float> value) => Vector256.EqualsAll(value, value);
}
internal readonly unsafe struct Pool128 : IPoolLanes<Vector128<float>, Vector128<int>>
{
    public static int Lanes => Vector128<float>.Count;
    public static Vector128<float> Zero => Vector128<float>.Zero;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Load(float* source) => Vector128.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void Store(Vector128<float> value, float* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Splat(float value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Beats(Vector128<float> candidate, Vector128<float> best) =>
        Vector128.GreaterThan(candidate, best) | Vector128.AndNot(Vector128.Equals(best, best), Vector128.Equals(candidate, candidate));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Select(Vector128<float> mask, Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(mask, a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> ShiftInIndex(Vector128<int> previous, Vector128<int> current) => ShiftIn(previous.AsSingle(), current.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> ShiftOutIndex(Vector128<int> current, Vector128<int> next) => ShiftOut(current.AsSingle(), next.AsSingle()).AsInt32();
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Keep(Vector128<float> mask, Vector128<float> value) => mask & value;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> SelectIndex(Vector128<float> mask, Vector128<int> a, Vector128<int> b) => Vector128.ConditionalSelect(mask.AsInt32(), a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Ramp(int start, int step) => Vector128.Create(start) + (Vector128<int>.Indices * step);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> Shift(Vector128<int> positions, int offset) => positions + Vector128.Create(offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static void StoreIndex(Vector128<int> value, int* destination) => value.Store(destination);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Deinterleave(float* source, float* even, float* odd)
    {
        Vector128<float> a = Vector128.Load(source), b = Vector128.Load(source + 4);
        if (Sse.IsSupported)
        {
            Sse.Shuffle(a, b, 0b10_00_10_00).Store(even);
            Sse.Shuffle(a, b, 0b11_01_11_01).Store(odd);
            return;
        }
        Vector128.Create(a[0], a[2], b[0], b[2]).Store(even);
        Vector128.Create(a[1], a[3], b[1], b[3]).Store(odd);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void LoadDeinterleaved(float* source, out Vector128<float> even, out Vector128<float> odd)
    {
        Vector128<float> a = Vector128.Load(source), b = Vector128.Load(source + 4);
        if (Sse.IsSupported)
        {
            even = Sse.Shuffle(a, b, 0b10_00_10_00);
            odd = Sse.Shuffle(a, b, 0b11_01_11_01);
            return;
        }
        even = Vector128.Create(a[0], a[2], b[0], b[2]);
        odd = Vector128.Create(a[1], a[3], b[1], b[3]);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ShiftIn(Vector128<float> previous, Vector128<float> current)
    {
        if (Ssse3.IsSupported)
        {
            // palignr: (current : previous) shifted down 12 bytes.
            return Ssse3.AlignRight(current.AsByte(), previous.AsByte(), 12).AsSingle();
        }
        return Vector128.Create(previous[3], current[0], current[1], current[2]);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> ShiftOut(Vector128<float> current, Vector128<float> next)
    {
        if (Ssse3.IsSupported)
        {
            // palignr: (next : current) shifted down 4 bytes.
            return Ssse3.AlignRight(next.AsByte(), current.AsByte(), 4).AsSingle();
        }
        return Vector128.Create(current[1], current[2], current[3], next[0]);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Equal(Vector128<float> a, Vector128<float> b) => Vector128.Equals(a, b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> LoadIndex(int* source) => Vector128.Load(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<int> SplatIndex(int value) => Vector128.Create(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> IndexEqual(Vector128<int> a, Vector128<int> b) => Vector128.Equals(a, b).AsSingle();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Interleave(Vector128<float> even, Vector128<float> odd, float* destination)
    {
        if (Sse.IsSupported)
        {
            Sse.UnpackLow(even, odd).Store(destination);
            Sse.UnpackHigh(even, odd).Store(destination + 4);
            return;
        }
        PoolInterleave.Scalar(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void InterleaveStreaming(Vector128<float> even, Vector128<float> odd, float* destination)
    {
        if (Sse.IsSupported)
        {
            Sse.UnpackLow(even, odd).StoreAlignedNonTemporal(destination);
            Sse.UnpackHigh(even, odd).StoreAlignedNonTemporal(destination + 4);
            return;
        }
        Interleave(even, odd, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreBytes(Vector128<int> value, byte* destination)
    {
        if (Avx512F.VL.IsSupported)
        {
            *(uint*)destination = Avx512F.VL.ConvertToVector128Byte(value).AsUInt32().ToScalar();
            return;
        }
        PoolBytes.Store(value, destination);
    }
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadBytes(byte* source) =>
        Sse41.IsSupported ? Sse41.ConvertToVector128Int32(source) : PoolBytes.Load<Vector128<int>>(source);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Greater(Vector128<float> candidate, Vector128<float> best) => Vector128.GreaterThan(candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Max(Vector128<float> candidate, Vector128<float> best) =>
        Sse.IsSupported ? Sse.Max(candidate, best) : Vector128.ConditionalSelect(Vector128.GreaterThan(candidate, best), candidate, best);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static bool AllNumbers(Vector128<float> value) => Vector128.EqualsAll(value, value);
}

/// <summary>Narrowing positions to bytes element by element, for a CPU without the narrowing moves.</summary>
internal static unsafe class PoolBytes
{
    public static void Store<TV>(TV value, byte* destination) where TV : unmanaged
    {
        int* lanes = (int*)&value;
        for (int i = 0; i < sizeof(TV) / sizeof(int); i++)
        {
            destination[i] = (byte)lanes[i];
        }
    }

    public static TV Load<TV>(byte* source) where TV : unmanaged
    {
        TV value;
        int* lanes = (int*)&value;
        for (int i = 0; i < sizeof(TV) / sizeof(int); i++)
        {
            lanes[i] = source[i];
        }
        return value;
    }
}

/// <summary>The element-by-element interleave, for a width the CPU does not run natively (tests).</summary>
internal static unsafe class PoolInterleave
{
    public static void Scalar<TV>(TV even, TV odd, float* destination) where TV : struct
    {
        int lanes = Unsafe.SizeOf<TV>() / sizeof(float);
        float* e = (float*)Unsafe.AsPointer(ref even), o = (float*)Unsafe.AsPointer(ref odd);
        for (int i = 0; i < lanes; i++)
        {
            destination[2 * i] = e[i];
            destination[(2 * i) + 1] = o[i];
        }
    }
}
