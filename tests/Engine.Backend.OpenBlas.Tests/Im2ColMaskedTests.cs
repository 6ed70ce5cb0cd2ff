using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The AVX-512 masked im2col (<see cref="Im2ColMasked"/>) against the plain loops of
/// <see cref="Im2Col"/> (the path taken with the own kernels off), bit for bit, on padded, dilated,
/// strided-in-height, 3-D and one- or two-vector-wide rows, with the column matrix embedded in a
/// wider one (row stride) as grouped samples use it.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class Im2ColMaskedTests : IDisposable
{
    private readonly int _bits = SmallGemm.Bits;

    public void Dispose() => SmallGemm.Bits = _bits;

    [Theory]
    [MemberData(nameof(MaskedLayouts.Cases), MemberType = typeof(MaskedLayouts))]
    public void MaskedGatherEqualsThePlainLoops(int channels, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // nothing to compare on this CPU: the masked path never runs
        }
        ConvolutionLayout layout = MaskedLayouts.Make(1, channels, 4, depth, size, kernel, pad, heightStride, dilation);
        int positions = layout.OutputSize, rows = layout.ColumnRows, stride = positions * 3 + 5;
        var rng = new Random(4);
        float[] x = MaskedLayouts.Random(rng, channels * layout.InputSize), col = MaskedLayouts.Random(rng, rows * stride);

        SmallGemm.Bits = 0;
        Assert.False(Im2ColMasked.Applies<float>(layout));
        float[] plainCol = Run(layout, x, col, stride);
        SmallGemm.Bits = 512;
        Assert.True(Im2ColMasked.Applies<float>(layout));
        float[] maskedCol = Run(layout, x, col, stride);

        Assert.Equal(plainCol, maskedCol);
        if (pad > 0)
        {
            Assert.Contains(maskedCol, v => v == 0); // padding taps were written as zeros
        }
    }

    // Gather into a copy of col as a block of a wider matrix: the columns it does not own must survive.
    private static float[] Run(ConvolutionLayout layout, float[] x, float[] col, int stride)
    {
        float[] gathered = (float[])col.Clone();
        fixed (float* px = x, pc = gathered)
        {
            Im2Col.Gather(layout, px, pc + 2, stride);
        }
        return gathered;
    }
}
