using System.Reflection;
using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// Issue 15's fused epilogue and channels-last convolutions on the emulator: ChannelAffine in one
/// kernel, ConvolutionForwardWithEpilogue through the shim's fused forward
/// (cudnnConvolutionBiasActivationForward on a GPU) where it applies, and convolutions in NHWC
/// behind NCHW tensors (--cudnn-layout), each against the conformance kit's CPU reference in TF32
/// and strict precision, and NHWC against NCHW bit for bit (the emulator sums in one order whatever
/// the layout, so any difference is a wrong index or a copy that went astray).
/// </summary>
[Collection(PrecisionModeCollection.Name)]
public sealed class FusedEpilogueAndLayoutTests
{
    private const string ModelJson = """
        { "name": "layout-net", "layers": [
          {"type": "conv2d", "name": "conv1", "filters": 8, "kernel": 3, "padding": "same"}, {"type": "relu"},
          {"type": "conv2d", "name": "conv2", "filters": 8, "kernel": 3, "stride": 2, "groups": 2}, {"type": "relu"},
          {"type": "flatten"}, {"type": "dense", "name": "classifier", "units": 3} ] }
        """;

    [Theory]
    [InlineData("tf32", "nchw")]
    [InlineData("strict", "nchw")]
    [InlineData("tf32", "nhwc")]
    [InlineData("strict", "nhwc")]
    public void TheKitsConvolutionAndEpilogueCasesPass(string precision, string layout)
    {
        using IBackend backend = Create(("ENGINE_PRECISION", precision), ("ENGINE_CUDNN_LAYOUT", layout));
        try
        {
            int passed = 0;
            foreach (string filter in new[] { "convolution", "channel_affine" })
            {
                passed += EmulatorBackends.PassKit(backend, filter).Passed;
            }
            // 28 convolution cases, 36 with an epilogue, 72 with a bias and activation, 36 of ChannelAffine.
            Assert.True(passed >= 172, $"{passed} cases passed");
            // Of the epilogue cases, float32 without activation or with ReLU ran fused where the
            // problem is 2-D without groups and padded symmetrically: 2 problems × 2; of the bias and
            // activation cases, those with ReLU on the same 2 problems, with and without a bias: 4 more.
            Assert.Equal(8, Member<long>(backend, "FusedConvolutions"));
        }
        finally
        {
            Create().Dispose(); // the shim's precision back to the default for the other tests
        }
    }

    [Fact]
    public void TheFusedForwardMatchesTheConvolutionThenTheAffineKernel()
    {
        using IBackend fused = Create();
        using IBackend separate = Create((CudnnVariables.Fusion, "off"));
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        float[] a = Epilogue(fused, geometry, Activation.Relu), b = Epilogue(separate, geometry, Activation.Relu);
        Assert.Equal(1, Member<long>(fused, "FusedConvolutions"));
        Assert.Equal(0, Member<long>(separate, "FusedConvolutions"));
        Assert.Contains(a, v => v == 0); // ReLU cut something
        Assert.Contains(a, v => v > 0);
        for (int i = 0; i < a.Length; i++)
        {
            // Scaling the filters instead of the output rounds differently: a few float32 ulps.
            Assert.True(Math.Abs(a[i] - b[i]) <= 1e-5 * (1 + Math.Abs(b[i])), $"element {i}: fused {a[i]}, separate {b[i]}");
        }
        // Leaky ReLU is not cuDNN's to fuse: the convolution, then the kernel.
        _ = Epilogue(fused, geometry, Activation.LeakyRelu);
        Assert.Equal(1, Member<long>(fused, "FusedConvolutions"));
    }

    [Fact]
    public void TrainingChannelsLastGivesTheSameWeightsAsNchwBitForBit()
    {
        float[][] nchw = Train(("ENGINE_CUDNN_LAYOUT", "nchw"));
        float[][] nhwc = Train(("ENGINE_CUDNN_LAYOUT", "nhwc"));
        Assert.Equal(nchw.Length, nhwc.Length);
        for (int p = 0; p < nchw.Length; p++)
        {
            Assert.Equal(nchw[p].Select(BitConverter.SingleToInt32Bits), nhwc[p].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void AutoPicksChannelsLastOnlyFor16BitTensorCoreShapes()
    {
        using IBackend auto = Create(("ENGINE_CUDNN_LAYOUT", "auto"));
        object layouts = auto.GetType().GetField("_layouts", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(auto)!;
        MethodInfo choose = layouts.GetType().GetMethod("ChannelsLast")!;
        Type precision = choose.GetParameters()[0].ParameterType;
        bool ChannelsLast(string mode, int rank, int channels, int filters) =>
            (bool)choose.Invoke(layouts, [Enum.Parse(precision, mode), DataType.Float32, rank, channels, filters])!;
        Assert.True(ChannelsLast("Bf16", 2, 64, 128));
        Assert.True(ChannelsLast("Fp16", 2, 16, 8));
        Assert.False(ChannelsLast("Tf32", 2, 64, 128));
        Assert.False(ChannelsLast("Bf16", 2, 3, 64)); // the RGB stem
        Assert.False(ChannelsLast("Bf16", 3, 64, 64));
        Assert.Contains("channels last where tensor cores want it", auto.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownLayoutIsRefusedNamingTheValue()
    {
        var e = Assert.ThrowsAny<Exception>(() => Create(("ENGINE_CUDNN_LAYOUT", "chwn")).Dispose());
        Assert.Contains("ENGINE_CUDNN_LAYOUT=chwn: give nchw, nhwc or auto", e.ToString(), StringComparison.Ordinal);
    }

    /// <summary>A 2×8×6×5 input through 8 filters 3×3 and the epilogue; y to the host.</summary>
    private static float[] Epilogue(IBackend backend, ConvolutionGeometry geometry, Activation activation)
    {
        var random = new Random(3);
        float[] Values(int n, double offset) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() - offset)).ToArray();
        using Tensor x = backend.Allocate(new Shape(2, 8, 6, 5));
        using Tensor w = backend.Allocate(new Shape(8, 8, 3, 3));
        using Tensor scale = backend.Allocate(new Shape(8));
        using Tensor shift = backend.Allocate(new Shape(8));
        using Tensor y = backend.Allocate(new Shape(2, 8, 6, 5));
        backend.CopyFromHost<float>(Values(2 * 8 * 30, 0.5), x);
        backend.CopyFromHost<float>(Values(8 * 8 * 9, 0.5), w);
        backend.CopyFromHost<float>(Values(8, -0.5), scale);
        backend.CopyFromHost<float>(Values(8, 0.5), shift);
        backend.ConvolutionForwardWithEpilogue(geometry, x, w, y, scale, shift, activation, 0.1);
        var result = new float[y.ElementCount];
        backend.CopyToHost<float>(y, result);
        return result;
    }

    /// <summary>layout-net's parameters after 2 epochs of 13 examples in batches of 8 (the last batch of 5 captured again), with the variables set.</summary>
    private static float[][] Train(params (string Name, string Value)[] variables)
    {
        EngineHost host = Emulator.EngineHost;
        using IBackend backend = Create(variables);
        var random = new Random(7);
        float[] samples = Enumerable.Range(0, 13 * 2 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new ArrayDataset(samples, Enumerable.Range(0, 13).Select(i => i % 3).ToArray(), new Shape(2, 8, 8), 3);
        using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(ModelJson)!, "layout-net"), backend, data.SampleShape, seed: 3);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9 });
        new Trainer(network, loss, optimizer, new TrainingOptions(2, 8, Seed: 5)).Fit(data);
        return network.Parameters.Select(p =>
        {
            var v = new float[p.Value.ElementCount];
            backend.CopyToHost<float>(p.Value, v);
            return v;
        }).ToArray();
    }

    private static IBackend Create(params (string Name, string Value)[] variables) => EmulatorBackends.Create(variables);

    private static T Member<T>(object target, string name) => EmulatorBackends.Member<T>(target, name);

    private static class CudnnVariables
    {
        public const string Fusion = "ENGINE_CUDNN_FUSION";
    }
}
