namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Winograd's filter transform eight filters a vector (<see cref="WinogradTransforms.VectorFilters"/>) against the scalar
/// chain, bit for bit: forward and turned (backward data), input counts that leave a scalar tail and ones shorter than a
/// vector, row ranges that start mid-way, and filters holding −0, ±∞, NaN, float subnormals and the largest floats (a
/// plain 0 − x negation would turn −0 into +0; a reordered sum or a reciprocal multiply would move the last bit).
/// </summary>
public sealed unsafe class WinogradFilterTransformTests : IDisposable
{
    private readonly bool _vectors = WinogradTransforms.VectorFilters;

    public void Dispose() => WinogradTransforms.VectorFilters = _vectors;

    [Theory]
    [InlineData(5, 3, false)]
    [InlineData(16, 16, false)]
    [InlineData(19, 75, false)]  // 75 inputs: a 64-float chunk, then 8 lanes and a tail of 3
    [InlineData(16, 16, true)]
    [InlineData(75, 19, true)]   // turned: 75 filters become the inputs
    [InlineData(9, 130, true)]
    public void VectorsGiveTheScalarBits(int filters, int channels, bool rotated)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            return; // the vector groups need AVX-512; the scalar chain is all there is
        }
        var random = new Random(filters * 1000 + channels);
        float[] w = new float[filters * channels * 9];
        float[] specials = [-0f, 0f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-40f, -3e-42f, float.MaxValue, -float.MaxValue];
        for (int n = 0; n < w.Length; n++)
        {
            w[n] = random.Next(12) == 0 ? specials[random.Next(specials.Length)] : (float)(random.NextDouble() * 4 - 2);
        }
        for (int n = 0; n < 9 * 4; n++)
        {
            w[n] = -0f; // whole filters of −0 (sums of −0 stay −0)
        }
        w[^1] = float.NaN; // in the last row, which every case transforms
        int outputs = rotated ? channels : filters, inputs = rotated ? filters : channels;
        int first = outputs / 3, end = outputs;
        float[] scalar = Transform(w, filters, channels, rotated, first, end, vectors: false);
        float[] vector = Transform(w, filters, channels, rotated, first, end, vectors: true);
        for (int n = 0; n < scalar.Length; n++)
        {
            int xi = n / (outputs * inputs), o = n / inputs % outputs, i = n % inputs;
            Assert.True(BitConverter.SingleToInt32Bits(scalar[n]) == BitConverter.SingleToInt32Bits(vector[n]),
                $"U[{xi}][{o}][{i}]: vectors {vector[n]} (0x{BitConverter.SingleToInt32Bits(vector[n]):x8}), scalar {scalar[n]} (0x{BitConverter.SingleToInt32Bits(scalar[n]):x8})");
        }
        Assert.Contains(scalar, v => float.IsNaN(v));
        Assert.Contains(scalar, v => v == 0 && float.IsNegative(v));
    }

    private static float[] Transform(float[] w, int filters, int channels, bool rotated, int first, int end, bool vectors)
    {
        WinogradTransforms.VectorFilters = vectors;
        float[] u = new float[WinogradTransforms.Points * filters * channels];
        Array.Fill(u, 1234.5f); // rows outside [first, end) must stay untouched either way
        fixed (float* pw = w, pu = u)
        {
            WinogradTransforms.Filters(pw, filters, channels, rotated, pu, first, end);
        }
        return u;
    }
}
