using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The filter transform eight filters at a time: each lane of a 512-bit vector of doubles runs the scalar chain of
/// <see cref="Filters"/> (the same divisions, sums and signs in the same order, rounded to float once), so the result is the
/// same bits, and the divisions — most of the transform's cost, one filter after another — go eight to an instruction.
/// A training step transforms every Winograd layer's filters twice (forward and backward data), an inference call without
/// the derived-filter cache once: on ResNet-18 the scalar chain took a sixth of an uncached inference pass.
/// </summary>
internal static unsafe partial class WinogradTransforms
{
    /// <summary>Filters per vector group.</summary>
    private const int FilterLanes = 8;

    /// <summary>
    /// Whether <see cref="Filters"/> runs groups of <see cref="FilterLanes"/> filters in 512-bit vectors:
    /// <c>ENGINE_WINOGRAD_FILTER_VECTORS=on|off</c>, default on where AVX-512 is (off: the scalar chain, the reference).
    /// </summary>
    internal static bool VectorFilters { get; set; } =
        Avx512F.IsSupported && (WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_WINOGRAD_FILTER_VECTORS")) ?? true);

    /// <summary>
    /// U of the filters (o, i + lane), lane &lt; <see cref="FilterLanes"/>, into <paramref name="local"/>[ξ·<paramref name="stride"/> + lane]
    /// (the layout <see cref="Filters"/> builds a row in). Its stack scratch (2 KB a group) is written before it is read, so it is
    /// not zeroed first.
    /// </summary>
    [SkipLocalsInit]
    private static void FilterLaneGroup(float* w, int channels, bool rotated, int o, int i, float* local, int stride)
    {
        // The nine taps of each lane's filter, lane by lane (a forward group is 72 consecutive floats, a turned one 8 runs of 9).
        double* taps = stackalloc double[9 * FilterLanes];
        for (int lane = 0; lane < FilterLanes; lane++)
        {
            float* g = w + (rotated ? (long)(i + lane) * channels + o : (long)o * channels + i + lane) * 9;
            for (int n = 0; n < 9; n++)
            {
                taps[n * FilterLanes + lane] = g[rotated ? 8 - n : n];
            }
        }
        Vector512<double>* t = stackalloc Vector512<double>[18];
        for (int col = 0; col < 3; col++)
        {
            Column(Vector512.Load(taps + col * FilterLanes), Vector512.Load(taps + (3 + col) * FilterLanes),
                Vector512.Load(taps + (6 + col) * FilterLanes), t, col, 3);
        }
        Vector512<double>* row = stackalloc Vector512<double>[6];
        for (int r = 0; r < 6; r++)
        {
            Column(t[r * 3], t[r * 3 + 1], t[r * 3 + 2], row, 0, 1);
            for (int s = 0; s < 6; s++)
            {
                Avx512F.ConvertToVector256Single(row[s]).Store(local + (r * 6 + s) * stride);
            }
        }
    }

    /// <summary>
    /// <see cref="FilterColumn"/> lane by lane: the same operations in the same order. Each quotient is computed once (the scalar
    /// chain's g0/24, g1/12 and g2/6 appear twice with the same operands, so the same bits); negation flips the sign bit as
    /// the scalar unary minus does (so −0 stays −0, which 0 − x would not give).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(Vector512<double> g0, Vector512<double> g1, Vector512<double> g2, Vector512<double>* to, int start, int stride)
    {
        Vector512<double> sign = Vector512.Create(-0.0), six = Vector512.Create(6.0);
        Vector512<double> a = g0 / Vector512.Create(24.0), b = g1 / Vector512.Create(12.0), c = g2 / six;
        to[start] = g0 / Vector512.Create(4.0);
        to[start + stride] = ((g0 + g1 + g2) ^ sign) / six;
        to[start + 2 * stride] = ((g0 - g1 + g2) ^ sign) / six;
        to[start + 3 * stride] = a + b + c;
        to[start + 4 * stride] = a - b + c;
        to[start + 5 * stride] = g2;
    }
}
