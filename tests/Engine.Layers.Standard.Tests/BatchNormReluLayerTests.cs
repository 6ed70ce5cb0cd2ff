namespace Engine.Layers.Standard.Tests;

/// <summary>
/// <see cref="BatchNormLayer"/> taking in the ReLU after it (<see cref="IActivationFusingLayer"/>): in float32 on the
/// OpenBLAS backend by the fused ops, elsewhere (float64 here) as batch norm then ReLU in place, with ReLU's backward run
/// by the layer before its own; either way the output and every gradient are those of the two layers.
/// </summary>
public sealed class BatchNormReluLayerTests
{
    [Theory]
    [InlineData(DataType.Float32)]
    [InlineData(DataType.Float64)]
    public void ForwardWithReluAndItsBackwardGiveTheTwoLayersBits(DataType type)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(3, 4, 5);
        using ILayer fused = LayerHarness.Build(backend, "batch_norm", "{}", shape, type);
        using ILayer plain = LayerHarness.Build(backend, "batch_norm", "{}", shape, type);
        using ILayer relu = LayerHarness.Build(backend, "relu", "{}", shape, type);
        var layer = (IActivationFusingLayer)fused;
        Assert.Equal(type == DataType.Float32 && backend.FusesBatchNormRelu(type), layer.FusesActivationInTraining(Activation.Relu));
        Assert.False(layer.FusesActivationInTraining(Activation.Sigmoid));
        using Tensor gamma = LayerHarness.Upload(backend, new Shape(3), LayerHarness.Random(3, seed: 3).Select(v => 1 + v).ToArray(), type);
        using Tensor beta = LayerHarness.Upload(backend, new Shape(3), LayerHarness.Random(3, seed: 4), type);
        foreach (ILayer bn in new[] { fused, plain })
        {
            backend.Copy(gamma, bn.Parameters[0].Value);
            backend.Copy(beta, bn.Parameters[1].Value);
        }
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(6), LayerHarness.Random(6 * 60, seed: 5), type);
        using Tensor dy = LayerHarness.Upload(backend, shape.WithBatch(6), LayerHarness.Random(6 * 60, seed: 6), type);

        double[] y = LayerHarness.Download(layer.ForwardWithActivation(x, Activation.Relu, 0));
        double[] dx = LayerHarness.Download(fused.Backward(dy));
        double[] expected = LayerHarness.Download(relu.Forward(plain.Forward(x, training: true), training: true));
        double[] expectedDx = LayerHarness.Download(plain.Backward(relu.Backward(dy)));
        Assert.Equal(expected, y);
        Assert.Equal(expectedDx, dx);
        for (int p = 0; p < 2; p++)
        {
            Assert.Equal(LayerHarness.Download(plain.Parameters[p].Gradient), LayerHarness.Download(fused.Parameters[p].Gradient));
        }
        Assert.Contains(y, v => v == 0);
        // A plain training forward afterwards is batch norm alone again: its backward takes no mask.
        Assert.Equal(LayerHarness.Download(plain.Forward(x, training: true)), LayerHarness.Download(fused.Forward(x, training: true)));
        Assert.Equal(LayerHarness.Download(plain.Backward(dy)), LayerHarness.Download(fused.Backward(dy)));
    }
}
