using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The direct forward convolution (<see cref="DirectConvolution"/>) against the plain path it
/// replaces, im2col followed by the own GEMM kernel, which sums each output in the same FMA order:
/// equal values (only the sign of a zero may differ, which equality ignores). Layouts cover both
/// register blocks (rows up to 16 and up to 32 wide), partial filter blocks, padding, dilation,
/// a height stride and three spatial axes.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class DirectConvolutionTests : IDisposable
{
    private readonly int _bits = SmallGemm.Bits;

    public void Dispose() => SmallGemm.Bits = _bits;

    [Theory]
    [MemberData(nameof(MaskedLayouts.Cases), MemberType = typeof(MaskedLayouts))]
    public void DirectForwardEqualsIm2ColAndTheOwnGemm(int channels, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the direct kernel never runs on this CPU
        }
        // Filters: 6 + 1 (two-vector rows) or 8 + 3 (one-vector rows): a partial register block either way.
        int filters = size + 2 * pad - dilation * (kernel - 1) > 16 ? 7 : 11;
        ConvolutionLayout layout = MaskedLayouts.Make(2, channels, filters, depth, size, kernel, pad, heightStride, dilation);
        SmallGemm.Bits = 512;
        Assert.True(DirectConvolution.Applies<float>(layout));

        var rng = new Random(5);
        int positions = layout.OutputSize, sampleIn = channels * layout.InputSize, sampleOut = filters * positions;
        float[] x = MaskedLayouts.Random(rng, 2 * sampleIn), w = MaskedLayouts.Random(rng, filters * layout.ColumnRows);
        float[] col = new float[layout.ColumnRows * positions], plain = new float[2 * sampleOut];
        float[] direct = new float[2 * sampleOut + 1];
        direct[^1] = 42; // past the end: must survive
        fixed (float* px = x, pw = w, pc = col, pp = plain, pd = direct)
        {
            for (int n = 0; n < 2; n++)
            {
                Im2Col.Gather(layout, px + n * sampleIn, pc);
                SmallGemm.Multiply(filters, positions, layout.ColumnRows, pw, layout.ColumnRows, 1, pc, positions, false, pp + n * sampleOut, positions);
            }
            DirectConvolution.Forward(layout, px, pw, pd);
        }
        Assert.Equal(42, direct[^1]);
        Assert.Equal(plain, direct[..^1]);
    }
}
