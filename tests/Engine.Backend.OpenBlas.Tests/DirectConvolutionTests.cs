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

    public static TheoryData<int, int, int, int, int, int, int, int> Layouts => new()
    {
        // channels, filters, depth, size, kernel, pad, height stride, dilation
        { 1, 6, 1, 28, 5, 2, 1, 1 },   // LeNet conv1
        { 6, 16, 1, 14, 5, 0, 1, 1 },  // LeNet conv2
        { 3, 7, 1, 17, 3, 1, 1, 1 },   // 17 wide (second vector one lane), 7 filters: blocks of 6 + 1
        { 2, 11, 1, 16, 3, 1, 1, 1 },  // exactly one vector, blocks of 8 + 3
        { 2, 5, 1, 9, 3, 4, 2, 2 },    // padding beyond the window's reach, dilation, height stride 2
        { 2, 4, 3, 6, 3, 1, 1, 1 },    // 3-D with padded depth planes
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void DirectForwardEqualsIm2ColAndTheOwnGemm(int channels, int filters, int depth, int size, int kernel, int pad, int heightStride, int dilation)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the direct kernel never runs on this CPU
        }
        int Out(int input, int stride) => (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
        var width = new ConvolutionAxis(size, Out(size, 1), kernel, 1, pad, dilation);
        var height = new ConvolutionAxis(size, Out(size, heightStride), kernel, heightStride, pad, dilation);
        ConvolutionAxis depthAxis = depth == 1 ? ConvolutionAxis.Unit : new ConvolutionAxis(depth, Out(depth, 1), kernel, 1, pad, dilation);
        var layout = new ConvolutionLayout(2, channels, filters, 1, depthAxis, height, width);
        SmallGemm.Bits = 512;
        Assert.True(DirectConvolution.Applies<float>(layout));

        var rng = new Random(5);
        int positions = layout.OutputSize, sampleIn = channels * layout.InputSize, sampleOut = filters * positions;
        float[] x = Random(rng, 2 * sampleIn), w = Random(rng, filters * layout.ColumnRows);
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

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return values;
    }
}
