using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// im2col's row copy at column stride 2 (dst[i] = src[2·i]) sixteen floats at a time: two loads of 16
/// consecutive floats and one two-register permute that keeps the even lanes, where the reference
/// (<see cref="Im2Col"/>'s scalar loop) moves one float per iteration. A copy, so the bits are the
/// reference's by construction (StridedGatherTests compares them anyway).
/// </summary>
/// <remarks>
/// <para>Why: ResNet-18's 7×7 stride-2 first convolution gathers 147 rows × 12,544 positions per sample
/// (1.8 M floats), and the stride-2 3×3 and 1×1 layers of every stage take the same path; a per-layer
/// profile against ONNX Runtime (benchmarks/NOTES.md, helper <c>inf1t</c>) put the scalar gather at about a
/// third of the first convolution's time.</para>
/// <para>The second load is masked to its first 15 lanes (the 16th is an odd element, never kept), so
/// the last vector of a row never reads past <c>src[2·(count − 1)]</c>: a row at the end of the input's
/// memory is safe. <c>ENGINE_IM2COL_STRIDED=on|off</c> (default on where AVX-512 is present).</para>
/// </remarks>
internal static unsafe class StridedGather
{
    /// <summary>Whether the vector copy runs: AVX-512 present and not switched off.</summary>
    /// <remarks>Settable inside the assembly so tests and benchmarks can compare both paths in one process.</remarks>
    public static bool Enabled { get; internal set; } = Avx512F.IsSupported
        && WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_IM2COL_STRIDED")) != false;

    /// <summary>dst[i] ← src[2·i] for i in [0, <paramref name="count"/>); reads src[0 … 2·(count − 1)] only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Row(float* src, float* dst, int count)
    {
        Vector512<int> lanes = Vector512<int>.Indices, even = lanes * 2;
        Vector512<float> upperMask = Lanes(lanes, 15);
        int i = 0;
        for (; i + 16 <= count; i += 16)
        {
            float* s = src + 2 * i;
            Vector512<float> lower = Vector512.Load(s), upper = Avx512F.MaskLoad(s + 16, upperMask, Vector512<float>.Zero);
            Avx512F.PermuteVar16x32x2(lower, even, upper).Store(dst + i);
        }
        if (i < count)
        {
            // n left: the elements 0 … 2n − 2 of the pair of vectors are read, lanes < n stored.
            int n = count - i, read = 2 * n - 1;
            float* s = src + 2 * i;
            Vector512<float> lower = Avx512F.MaskLoad(s, Lanes(lanes, read), Vector512<float>.Zero);
            Vector512<float> upper = Avx512F.MaskLoad(s + 16, Lanes(lanes, read - 16), Vector512<float>.Zero);
            Avx512F.MaskStore(dst + i, Lanes(lanes, n), Avx512F.PermuteVar16x32x2(lower, even, upper));
        }
    }

    /// <summary>The lanes below <paramref name="count"/> (none if it is 0 or less, all from 16).</summary>
    private static Vector512<float> Lanes(Vector512<int> lanes, int count) => Vector512.LessThan(lanes, Vector512.Create(count)).AsSingle();
}
