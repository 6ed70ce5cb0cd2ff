using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The filters-along-the-vector forward convolution (<see cref="FilterVectorConvolution"/>) against
/// the direct kernel it replaces on its layouts (<see cref="DirectConvolution"/>, itself tested equal
/// to im2col + GEMM), with and without the fused epilogue: each output is the same FMA chain over the
/// taps, so the bits are the same.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class FilterVectorConvolutionTests : IDisposable
{
    private readonly int _bits = SmallGemm.Bits;

    public void Dispose() => SmallGemm.Bits = _bits;

    [Theory]
    [InlineData(6, 14, 5, 16, 0)]  // LeNet conv2
    [InlineData(6, 14, 5, 16, 1)]  // with bias + ReLU
    [InlineData(6, 14, 5, 32, 2)]  // two filter blocks, bias without activation
    [InlineData(3, 12, 3, 16, 1)]  // a 3×3 window on 12×12
    public void EqualsTheDirectKernel(int channels, int size, int kernel, int filters, int epilogueKind)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the kernel never runs on this CPU
        }
        SmallGemm.Bits = 512;
        const int batch = 3;
        ConvolutionLayout layout = MaskedLayouts.Make(batch, channels, filters, 1, size, kernel, 0, 1, 1);
        Assert.True(FilterVectorConvolution.Applies<float>(layout));
        var rng = new Random(17);
        float[] x = MaskedLayouts.Random(rng, batch * channels * layout.InputSize), w = MaskedLayouts.Random(rng, filters * layout.ColumnRows);
        float[] scale = MaskedLayouts.Random(rng, filters), shift = MaskedLayouts.Random(rng, filters);
        int count = batch * filters * layout.OutputSize;
        float[] direct = new float[count], vector = new float[count + 1];
        vector[^1] = 42; // past the end: must survive
        Activation? activation = epilogueKind == 1 ? Activation.Relu : null;
        fixed (float* px = x, pw = w, ps = scale, pb = shift, pd = direct, pv = vector)
        {
            ConvolutionEpilogue epilogue = epilogueKind == 0 ? default : new((nint)ps, (nint)pb, activation, 0);
            if (!DirectConvolution.Forward(layout, px, pw, pd, epilogue))
            {
                epilogue.ApplyToBatch(pd, batch, filters, layout.OutputSize);
            }
            FilterVectorConvolution.Forward(layout, px, pw, pv, epilogue);
        }
        Assert.Equal(42, vector[^1]);
        Assert.Equal(direct.Select(BitConverter.SingleToInt32Bits), vector[..^1].Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(direct, v => v != 0);
    }
}
