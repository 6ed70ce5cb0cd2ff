using System.Text.Json.Nodes;
using Engine.Backend.OpenBlas;
using Engine.Core.Tests.Training;

namespace Engine.Core.Tests;

/// <summary>
/// Training passes that run a batch norm and the ReLU after it as one pass each way on the CPU
/// (<see cref="IBackend.FusesBatchNormRelu"/>, <see cref="IActivationFusingLayer"/>): which pairs fuse,
/// and that forward outputs, the running statistics, the input gradient and every parameter gradient
/// equal the layer-by-layer pass (<see cref="Network.FuseTraining"/> off) bit for bit, at one and two
/// threads, with and without shared training memory.
/// </summary>
[Collection(SerialCollection.Name)] // sets the process-wide thread count of the backend
public sealed class BatchNormReluFusionTests
{
    private static readonly Shape Input = new(3, 8, 8);

    // conv → bn → relu (fuses) → conv → bn → relu (fuses; its output read by a conv and an add) →
    // conv → bn → add → relu (the bn feeds the sum) → bn → relu and the same bn into a sum (read twice).
    private static ModelSpec Spec()
    {
        static LayerSpec Conv(string name) => new("conv2d", new JsonObject { ["filters"] = 4, ["kernel"] = 3, ["padding"] = "same" }, name);
        return new ModelSpec("bn-relu",
        [
            Conv("c1"), new LayerSpec("batch_norm", Name: "b1"), new LayerSpec("relu", Name: "r1"),
            Conv("c2"), new LayerSpec("batch_norm", Name: "b2"), new LayerSpec("relu", Name: "r2"),
            Conv("c3"), new LayerSpec("batch_norm", Name: "b3"), new LayerSpec("add", Name: "s3", Inputs: ["r2", "b3"]), new LayerSpec("relu", Name: "r3"),
            new LayerSpec("batch_norm", Name: "b4"), new LayerSpec("relu", Name: "r4"), new LayerSpec("add", Name: "s4", Inputs: ["b4", "r4"]),
            new LayerSpec("max_pool2d", new JsonObject { ["pool"] = 2 }), new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["units"] = 3 }),
        ]);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(2, false)]
    public void FusedPassesGiveTheLayerByLayerBits(int threads, bool shareMemory)
    {
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount;
        try
        {
            backend.BlasThreadCount = threads;
            Result fused = Run(backend, fuse: true, shareMemory, out int pairs);
            Result plain = Run(backend, fuse: false, shareMemory, out int none);
            Assert.Equal(backend.FusesBatchNormRelu(DataType.Float32) ? 2 : 0, pairs); // b1 → r1, b2 → r2
            Assert.Equal(0, none);
            AssertBits(plain.Output, fused.Output, "output");
            AssertBits(plain.Input, fused.Input, "input gradient");
            AssertBits(plain.State, fused.State, "running statistics");
            Assert.Equal(plain.Gradients.Length, fused.Gradients.Length);
            for (int p = 0; p < plain.Gradients.Length; p++)
            {
                AssertBits(plain.Gradients[p], fused.Gradients[p], $"gradient {p}");
            }
            Assert.Contains(fused.Gradients[1], v => v != 0); // b1's γ: the mask reached the first batch norm
        }
        finally
        {
            backend.BlasThreadCount = before;
        }
    }

    [Theory]
    [InlineData("vgg-cifar", 6)]  // every conv → bn → relu
    [InlineData("resnet20", 10)]  // the stem and each block's first half (the second bn feeds the residual sum)
    public void ClassicModelsFuseEveryBatchNormFollowedOnlyByAReLU(string model, int expected)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = Network.Build(TestEngine.Catalog.Model(model).Spec, TestEngine.Catalog, backend, new Shape(3, 32, 32), seed: 1, DataType.Float32);
        Assert.Equal(backend.FusesBatchNormRelu(DataType.Float32) ? expected : 0, net.FusedTrainingLayerCount);
        using var declining = new DecliningBackend(backend);
        using Network plain = Network.Build(TestEngine.Catalog.Model(model).Spec, TestEngine.Catalog, declining, new Shape(3, 32, 32), seed: 1, DataType.Float32);
        Assert.Equal(0, plain.FusedTrainingLayerCount); // a backend that does not fuse keeps the layer-by-layer pass
        using Network doubles = Network.Build(TestEngine.Catalog.Model(model).Spec, TestEngine.Catalog, backend, new Shape(3, 32, 32), seed: 1, DataType.Float64);
        Assert.Equal(0, doubles.FusedTrainingLayerCount); // float only
    }

    private sealed record Result(float[] Output, float[] Input, float[] State, float[][] Gradients);

    private static Result Run(IBackend backend, bool fuse, bool shareMemory, out int pairs)
    {
        using Network net = Network.Build(Spec(), TestEngine.Catalog, backend, Input, seed: 7, DataType.Float32);
        net.FuseTraining = fuse;
        net.ShareTrainingMemory = shareMemory;
        net.ComputeInputGradient = true;
        pairs = net.FusedTrainingLayerCount;
        float[] output = [], input = [];
        // Two batch sizes and a repeat: the fused output's memory and the mask follow the batch.
        foreach (int batch in new[] { 5, 3, 5 })
        {
            using Tensor x = Upload(backend, Input.WithBatch(batch), TestEngine.RandomValues(batch * (int)Input.ElementCount, seed: (ulong)batch));
            using Tensor dy = Upload(backend, new Shape(batch, 3), TestEngine.RandomValues(batch * 3, seed: 9));
            output = net.Forward(x, training: true).ToArray();
            input = net.Backward(dy)!.ToArray();
        }
        float[] state = net.Layers.OfType<IInferenceState>().SelectMany(l => l.InferenceStateTensors).SelectMany(t => t.ToArray()).ToArray();
        return new Result(output, input, state, net.Parameters.Select(p => p.Gradient.ToArray()).ToArray());
    }

    private static Tensor Upload(IBackend backend, Shape shape, double[] values)
    {
        Tensor t = backend.Allocate(shape, DataType.Float32);
        backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), t);
        return t;
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}[{i}]: layer by layer {expected[i]:R}, fused {actual[i]:R}");
        }
    }

    /// <summary>Declines batch norm + ReLU.</summary>
    private sealed class DecliningBackend(IBackend inner) : BackendDecorator(inner, ownsInner: false)
    {
        public override bool FusesBatchNormRelu(DataType dataType) => false;
    }
}
