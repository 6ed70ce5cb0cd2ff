namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// A convolution with its epilogue applied sample by sample inside the kernel
/// (<see cref="OpenBlasBackend.ConvolutionForwardWithEpilogue"/>) against the convolution followed by
/// the separate <see cref="OpenBlasBackend.ChannelAffine"/> pass, the reference path: bit for bit, on
/// shapes that take each forward path (direct small-channel kernel, several samples per product,
/// one GEMM per sample, column slices of a big image) and for each kind of activation.
/// </summary>
public sealed class ConvolutionEpilogueTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();

    public void Dispose() => _backend.Dispose();

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, size, filters, kernel, pad
        { 5, 1, 28, 6, 5, 2 },     // LeNet conv1: direct kernel
        { 7, 6, 14, 16, 5, 0 },    // LeNet conv2: several samples per product
        { 3, 16, 32, 16, 3, 1 },   // ResNet-20 stage 1: one GEMM per sample
        { 2, 3, 33, 8, 3, 0 },     // odd sizes, tails everywhere
        { 1, 64, 56, 64, 3, 1 },   // ResNet-18 stage 1
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void InKernelEpilogueEqualsTheSeparatePass(int batch, int channels, int size, int filters, int kernel, int pad)
    {
        var geometry = new ConvolutionGeometry([kernel, kernel], [1, 1], [pad, pad], [pad, pad], [1, 1]);
        int output = size + 2 * pad - kernel + 1;
        var rng = new Random(17);
        using Tensor x = Upload(new Shape(batch, channels, size, size), rng, 1);
        using Tensor w = Upload(new Shape(filters, channels, kernel, kernel), rng, 0.3);
        using Tensor scale = Upload(new Shape(filters), rng, 1.5);
        using Tensor shift = Upload(new Shape(filters), rng, 0.5);
        var yShape = new Shape(batch, filters, output, output);
        using Tensor separate = _backend.Allocate(yShape), fused = _backend.Allocate(yShape);
        foreach ((Activation? activation, double alpha) in new (Activation?, double)[] { (null, 0), (Activation.Relu, 0), (Activation.LeakyRelu, 0.1), (Activation.Tanh, 0) })
        {
            _backend.ConvolutionForward(geometry, x, w, separate);
            _backend.ChannelAffine(separate, scale, shift, separate, activation, alpha);
            _backend.ConvolutionForwardWithEpilogue(geometry, x, w, fused, scale, shift, activation, alpha);
            float[] expected = separate.ToArray(), actual = fused.ToArray();
            Assert.Equal(expected, actual);
            Assert.Contains(expected, v => v != 0);
        }
    }

    private Tensor Upload(Shape shape, Random rng, double range)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range)).ToArray(), t);
        return t;
    }
}
