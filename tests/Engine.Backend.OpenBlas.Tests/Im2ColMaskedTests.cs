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

    public static TheoryData<int, int, int, int, int, int, int> Layouts => new()
    {
        // channels, depth, size, kernel, pad, height stride, dilation
        { 1, 1, 28, 5, 2, 1, 1 },  // LeNet conv1: 28 wide, two vectors
        { 6, 1, 14, 5, 0, 1, 1 },  // LeNet conv2: 10 wide
        { 3, 1, 17, 3, 1, 1, 1 },  // exactly 17 wide: a one-lane second vector
        { 2, 1, 16, 1, 0, 1, 1 },  // exactly one vector
        { 2, 1, 9, 3, 4, 2, 2 },   // padding wider than the window reach, dilation, height stride 2
        { 2, 3, 6, 3, 1, 1, 1 },   // 3-D: padded depth planes
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void MaskedGatherEqualsThePlainLoops(int channels, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // nothing to compare on this CPU: the masked path never runs
        }
        int Out(int input, int stride) => (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
        var width = new ConvolutionAxis(size, Out(size, 1), kernel, 1, pad, dilation);
        var height = new ConvolutionAxis(size, Out(size, heightStride), kernel, heightStride, pad, dilation);
        ConvolutionAxis depthAxis = depth == 1 ? ConvolutionAxis.Unit : new ConvolutionAxis(depth, Out(depth, 1), kernel, 1, pad, dilation);
        var layout = new ConvolutionLayout(1, channels, 4, 1, depthAxis, height, width);
        int positions = layout.OutputSize, rows = layout.ColumnRows, stride = positions * 3 + 5;
        var rng = new Random(4);
        float[] x = new float[channels * layout.InputSize];
        float[] col = new float[rows * stride];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        for (int i = 0; i < col.Length; i++)
        {
            col[i] = (float)(rng.NextDouble() * 2 - 1);
        }

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
