using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>
/// Training passes that run a convolution and the ReLU after it as one backend call
/// (<see cref="Network.FuseTraining"/>): which pairs fuse, and that forward outputs, the input gradient
/// and every parameter gradient equal the layer-by-layer pass. The backend here is OpenBLAS behind a
/// decorator that claims the fusion and runs <see cref="IBackend.ConvolutionForwardBiasActivation"/>'s
/// default (the three operations the layers make), so the two passes must agree bit for bit: any
/// difference is the plan's (a wrong buffer, a skipped layer, a gradient read from the wrong output).
/// The cuDNN fused call itself is checked on the emulator (Engine.Backend.Cudnn.Emulator.Tests).
/// </summary>
public sealed class TrainingFusionTests
{
    private static readonly Shape Mnist = new(1, 28, 28);

    [Fact]
    public void LeNet5FusedTrainingPassGivesTheLayerByLayerOutputsAndGradientsBitForBit()
    {
        (double[] output, double[] input, double[][] gradients, long bytes) fused = Pass(fuse: true, out int pairs, out long calls);
        (double[] output, double[] input, double[][] gradients, long bytes) plain = Pass(fuse: false, out int none, out long noCalls);
        Assert.Equal(2, pairs); // conv1 → relu1, conv2 → relu2 (the dense layers are not convolutions)
        Assert.Equal(0, none);
        Assert.Equal(2 * 3, calls); // two pairs in each of three training passes
        Assert.Equal(0, noCalls);
        Assert.Equal(plain.output, fused.output);
        Assert.Equal(plain.input, fused.input);
        Assert.Equal(plain.gradients.Length, fused.gradients.Length);
        for (int p = 0; p < plain.gradients.Length; p++)
        {
            Assert.Equal(plain.gradients[p], fused.gradients[p]);
        }
        Assert.Contains(fused.gradients[0], v => v != 0);
        // The convolutions' outputs before ReLU no longer pass through the shared training memory.
        Assert.True(fused.bytes < plain.bytes, $"shared activation bytes: fused {fused.bytes}, layer by layer {plain.bytes}");
    }

    [Fact]
    public void OnlyAConvolutionWhoseOnlyReaderIsAReluFusesAndOnlyWhereTheBackendFuses()
    {
        static LayerSpec Conv(string name, params string[] inputs) =>
            new("conv2d", new JsonObject { ["filters"] = 2, ["kernel"] = 3, ["padding"] = "same" }, name, inputs.Length == 0 ? null : inputs);
        var spec = new ModelSpec("pairs",
        [
            Conv("a"), new LayerSpec("relu", Name: "ra"),                                        // fuses
            Conv("b"), new LayerSpec("relu", Name: "rb"), new LayerSpec("add", Name: "s", Inputs: ["b", "rb"]), // b read twice
            Conv("c"), new LayerSpec("leaky_relu", Name: "rc"),                                  // backward reads its input
            Conv("d"), new LayerSpec("batch_norm", Name: "bn"), new LayerSpec("relu", Name: "rd"), // normalised in between
            Conv("e"), new LayerSpec("sigmoid", Name: "se"),                                     // not the backend's to fuse
            new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["units"] = 2 }),
        ]);
        using IBackend inner = TestEngine.CreateBackend();
        using var fusing = new FusingBackend(inner);
        using Network net = Network.Build(spec, TestEngine.Catalog, fusing, new Shape(2, 5, 5), seed: 1, DataType.Float64);
        Assert.Equal(1, net.FusedTrainingLayerCount);
        net.FuseTraining = false;
        Assert.Equal(0, net.FusedTrainingLayerCount);

        using Network plain = Network.Build(spec, TestEngine.Catalog, inner, new Shape(2, 5, 5), seed: 1, DataType.Float64);
        Assert.Equal(0, plain.FusedTrainingLayerCount); // OpenBLAS does not claim the fusion: its pass is unchanged
    }

    private static (double[] Output, double[] Input, double[][] Gradients, long Bytes) Pass(bool fuse, out int pairs, out long calls)
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new FusingBackend(inner);
        using Network net = Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, backend, Mnist, seed: 4, DataType.Float64);
        net.FuseTraining = fuse;
        net.ComputeInputGradient = true;
        pairs = net.FusedTrainingLayerCount;
        double[] output = [], input = [];
        // Three passes with two batch sizes: the fused output's memory follows the batch as the layer's own does.
        foreach (int batch in new[] { 3, 5, 3 })
        {
            using Tensor x = TestEngine.Upload(backend, Mnist.WithBatch(batch), TestEngine.RandomValues(batch * 784, seed: (ulong)batch));
            using Tensor dy = TestEngine.Upload(backend, new Shape(batch, 10), TestEngine.RandomValues(batch * 10, seed: 9));
            output = TestEngine.Download(net.Forward(x, training: true));
            input = TestEngine.Download(net.Backward(dy)!);
        }
        calls = backend.FusedCalls;
        return (output, input, net.Parameters.Select(p => TestEngine.Download(p.Gradient)).ToArray(), net.SharedTrainingActivationBytes);
    }

    /// <summary>Claims the fused convolution + bias + ReLU for training passes and counts the calls; computes them with the default (three operations).</summary>
    private sealed class FusingBackend(IBackend inner) : BackendDecorator(inner, ownsInner: false)
    {
        public long FusedCalls { get; private set; }

        public override bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) =>
            training && activation == Activation.Relu;

        public override void ConvolutionForwardBiasActivation(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor? bias, Tensor y, Activation? activation = null, double alpha = 0)
        {
            FusedCalls++;
            base.ConvolutionForwardBiasActivation(geometry, x, w, bias, y, activation, alpha);
        }
    }
}
