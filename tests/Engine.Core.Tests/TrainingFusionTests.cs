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

        using var declining = new DecliningBackend(inner);
        using Network plain = Network.Build(spec, TestEngine.Catalog, declining, new Shape(2, 5, 5), seed: 1, DataType.Float64);
        Assert.Equal(0, plain.FusedTrainingLayerCount); // a backend that does not claim the fusion keeps its pass unchanged
        using Network openBlas = Network.Build(spec, TestEngine.Catalog, inner, new Shape(2, 5, 5), seed: 1, DataType.Float64);
        Assert.Equal(1, openBlas.FusedTrainingLayerCount); // OpenBLAS claims it (bias and ReLU as the convolution's epilogue)
    }

    /// <summary>
    /// OpenBLAS's own fused call (bias and ReLU in the convolution's epilogue) in float32 training, as the
    /// engine trains: LeNet-5's outputs and every gradient equal the layer-by-layer pass bit for bit.
    /// </summary>
    [Fact]
    public void OpenBlasFusedFloat32TrainingPassGivesTheLayerByLayerBits()
    {
        (float[] Output, float[][] Gradients) Run(bool fuse)
        {
            using IBackend backend = TestEngine.CreateBackend();
            using Network net = Network.Build(TestEngine.Catalog.Model("lenet5").Spec, TestEngine.Catalog, backend, Mnist, seed: 5, DataType.Float32);
            net.FuseTraining = fuse;
            Assert.Equal(fuse ? 2 : 0, net.FusedTrainingLayerCount);
            float[] output = [];
            foreach (int batch in new[] { 16, 7 })
            {
                float[] pixels = TestEngine.RandomValues(batch * 784, seed: (ulong)batch).Select(v => (float)v).ToArray();
                float[] grad = TestEngine.RandomValues(batch * 10, seed: 11).Select(v => (float)v).ToArray();
                using Tensor x = backend.Allocate(Mnist.WithBatch(batch), DataType.Float32);
                using Tensor dy = backend.Allocate(new Shape(batch, 10), DataType.Float32);
                backend.CopyFromHost<float>(pixels, x);
                backend.CopyFromHost<float>(grad, dy);
                Tensor y = net.Forward(x, training: true);
                output = new float[y.ElementCount];
                backend.CopyToHost(y, output.AsSpan());
                net.Backward(dy);
            }
            float[][] gradients = net.Parameters.Select(p =>
            {
                var g = new float[p.Gradient.ElementCount];
                backend.CopyToHost(p.Gradient, g.AsSpan());
                return g;
            }).ToArray();
            return (output, gradients);
        }
        (float[] output, float[][] gradients) fused = Run(fuse: true), plain = Run(fuse: false);
        Assert.Equal(plain.output, fused.output);
        Assert.Equal(plain.gradients.Length, fused.gradients.Length);
        for (int p = 0; p < plain.gradients.Length; p++)
        {
            Assert.Equal(plain.gradients[p], fused.gradients[p]);
        }
        Assert.Contains(fused.gradients[0], v => v != 0);
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

    /// <summary>Declines every fused convolution + bias + activation.</summary>
    private sealed class DecliningBackend(IBackend inner) : BackendDecorator(inner, ownsInner: false)
    {
        public override bool FusesConvolutionBiasActivation(ConvolutionGeometry geometry, DataType dataType, Activation? activation, bool training) => false;
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
