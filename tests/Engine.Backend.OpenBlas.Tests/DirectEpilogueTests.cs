using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The direct forward convolution with a fused inference epilogue applied in registers
/// (<see cref="DirectConvolution.EpilogueInKernel"/>) against the same convolution followed by the
/// separate per-plane pass (<see cref="ChannelAffineKernels.Plane{T}"/>), the path it replaces: the
/// same FMA and max per element, so the same bits (compared as bit patterns, so a −0 would show).
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class DirectEpilogueTests : IDisposable
{
    private readonly int _bits = SmallGemm.Bits;

    public void Dispose()
    {
        SmallGemm.Bits = _bits;
        DirectConvolution.EpilogueInKernel = true;
    }

    [Theory]
    [InlineData(1, 28, 5, 2, 7, true)]   // LeNet conv1: two-vector rows, a partial block of 6
    [InlineData(6, 14, 5, 0, 16, true)]  // LeNet conv2: one-vector rows, paired rows
    [InlineData(6, 14, 5, 0, 11, false)] // no activation, a partial block of 8
    [InlineData(3, 17, 3, 1, 5, true)]   // 17 wide: a one-lane second vector
    public void InKernelEpilogueEqualsTheSeparatePass(int channels, int size, int kernel, int pad, int filters, bool relu)
    {
        if (!Avx512F.IsSupported)
        {
            return; // the direct kernel never runs on this CPU
        }
        SmallGemm.Bits = 512;
        const int batch = 3;
        ConvolutionLayout layout = MaskedLayouts.Make(batch, channels, filters, 1, size, kernel, pad, 1, 1);
        Assert.True(DirectConvolution.Applies<float>(layout));
        var rng = new Random(11);
        float[] x = MaskedLayouts.Random(rng, batch * channels * layout.InputSize), w = MaskedLayouts.Random(rng, filters * layout.ColumnRows);
        float[] scale = MaskedLayouts.Random(rng, filters), shift = MaskedLayouts.Random(rng, filters);
        int planes = batch * filters, positions = layout.OutputSize;
        float[] separate = new float[planes * positions], fused = new float[planes * positions + 1];
        fused[^1] = 42; // past the end: must survive
        Activation? activation = relu ? Activation.Relu : null;
        fixed (float* px = x, pw = w, ps = scale, pb = shift, py = separate, pf = fused)
        {
            var epilogue = new ConvolutionEpilogue((nint)ps, (nint)pb, activation, 0);
            DirectConvolution.EpilogueInKernel = false;
            Assert.False(DirectConvolution.Forward(layout, px, pw, py, epilogue));
            for (int p = 0; p < planes; p++)
            {
                var plane = new Span<float>(py + p * positions, positions);
                ChannelAffineKernels.Plane<float>(plane, scale[p % filters], shift[p % filters], plane, activation, 0);
            }
            DirectConvolution.EpilogueInKernel = true;
            Assert.True(DirectConvolution.Forward(layout, px, pw, pf, epilogue));
        }
        Assert.Equal(42, fused[^1]);
        Assert.Equal(separate.Select(BitConverter.SingleToInt32Bits), fused[..^1].Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(separate, v => v != 0); // the case computes something
        if (relu)
        {
            Assert.Contains(separate, v => v == 0); // and ReLU clips something
        }
    }
}
