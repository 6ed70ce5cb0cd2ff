using System.Numerics;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// A convolution layer's bias fused as the convolution's epilogue (<see cref="OpenBlasBackend.ConvolutionForwardBiasActivation"/>
/// with no activation, which <c>ConvolutionLayer.Forward</c> calls where the backend claims it) against the
/// reference path, the convolution then <see cref="OpenBlasBackend.AddChannelBias"/>: bit for bit (1·y + b is
/// one rounding of y + b), on shapes that take each forward path: the filters-along-the-vector kernel (LeNet-5's
/// conv2), the positions-along-the-vector direct kernel (an RGB first layer), the padded direct 3×3 kernel,
/// Winograd (ResNet-18's 128-channel 28×28), several samples per product, and float64's per-sample GEMM.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed class ConvolutionBiasEpilogueTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly bool _on = OpenBlasBackend.BiasEpilogue;

    public void Dispose()
    {
        OpenBlasBackend.BiasEpilogue = _on;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, size, filters, kernel, pad
        { 4, 6, 14, 16, 5, 0 },    // LeNet conv2: filters along the vector
        { 3, 3, 32, 32, 3, 1 },    // RGB first layer: direct kernel
        { 3, 32, 16, 32, 3, 1 },   // padded direct 3×3
        { 2, 128, 28, 128, 3, 1 }, // ResNet-18 stage 2: Winograd
        { 5, 6, 14, 12, 5, 0 },    // 12 filters: several samples per product
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void FusedBiasEqualsTheSeparateAddition(int batch, int channels, int size, int filters, int kernel, int pad)
    {
        var geometry = new ConvolutionGeometry([kernel, kernel], [1, 1], [pad, pad], [pad, pad], [1, 1]);
        int output = size + 2 * pad - kernel + 1;
        var rng = new Random(23);
        using Tensor x = Upload<float>(new Shape(batch, channels, size, size), rng, 1);
        using Tensor w = Upload<float>(new Shape(filters, channels, kernel, kernel), rng, 0.3);
        using Tensor bias = Upload<float>(new Shape(filters), rng, 0.5);
        var yShape = new Shape(batch, filters, output, output);
        using Tensor separate = _backend.Allocate(yShape), fused = _backend.Allocate(yShape);
        _backend.ConvolutionForward(geometry, x, w, separate);
        _backend.AddChannelBias(separate, bias);
        OpenBlasBackend.BiasEpilogue = true;
        Assert.True(_backend.FusesConvolutionBiasActivation(geometry, DataType.Float32, null, training: true));
        Assert.True(_backend.FusesConvolutionBiasActivation(geometry, DataType.Float32, null, training: false));
        _backend.ConvolutionForwardBiasActivation(geometry, x, w, bias, fused);
        float[] expected = separate.ToArray(), actual = fused.ToArray();
        Assert.Equal(expected, actual);
        Assert.Contains(expected, v => v != 0);
        // Off (ENGINE_CONV_BIAS_EPILOGUE=off): the layer keeps the separate addition; ReLU's training fusion is unchanged.
        OpenBlasBackend.BiasEpilogue = false;
        Assert.False(_backend.FusesConvolutionBiasActivation(geometry, DataType.Float32, null, training: true));
        Assert.Equal(OpenBlasBackend.TrainingFusionForced != false, _backend.FusesConvolutionBiasActivation(geometry, DataType.Float32, Activation.Relu, training: true));
    }

    [Fact]
    public void FusedBiasEqualsTheSeparateAdditionInFloat64()
    {
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var rng = new Random(29);
        using Tensor x = Upload<double>(new Shape(3, 4, 9, 9), rng, 1);
        using Tensor w = Upload<double>(new Shape(5, 4, 3, 3), rng, 0.3);
        using Tensor bias = Upload<double>(new Shape(5), rng, 0.5);
        var yShape = new Shape(3, 5, 9, 9);
        using Tensor separate = _backend.Allocate(yShape, DataType.Float64), fused = _backend.Allocate(yShape, DataType.Float64);
        _backend.ConvolutionForward(geometry, x, w, separate);
        _backend.AddChannelBias(separate, bias);
        _backend.ConvolutionForwardBiasActivation(geometry, x, w, bias, fused);
        double[] expected = separate.ToArray<double>(), actual = fused.ToArray<double>();
        Assert.Equal(expected, actual);
        Assert.Contains(expected, v => v != 0);
    }

    private Tensor Upload<T>(Shape shape, Random rng, double range) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Tensor t = _backend.Allocate(shape, typeof(T) == typeof(float) ? DataType.Float32 : DataType.Float64);
        _backend.CopyFromHost<T>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => T.CreateChecked((rng.NextDouble() * 2 - 1) * range)).ToArray(), t);
        return t;
    }
}
