using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Layers.Standard;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// Inference fusion (convolution or dense + batch normalisation + activation run as one product and
/// one epilogue pass, Network.Fusion.cs) against the same network run layer by layer, on the zoo
/// models, with batch normalisations whose running statistics and affine parameters are far from
/// their initial values (so a wrong fold shows). The epilogue rounds the normalisation differently,
/// so outputs agree to a tolerance: 1e-4 of the largest logit, where float32 rounding through 20–50
/// layers stays near 1e-6.
/// </summary>
public sealed class InferenceFusionTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData("resnet20", 29)]   // 19 convolutions + BN, 10 of them followed by ReLU in the same chain
    [InlineData("resnet20-b", -1)]
    [InlineData("vgg-cifar", 12)]  // 6 convolutions + BN + ReLU
    [InlineData("lenet5-1998", -1)]
    public void FusedInferenceEqualsLayerByLayer(string model, int fusedLayers) => Compare(model, fusedLayers, batch: 3);

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("resnet18")]
    [InlineData("resnet50")]
    [InlineData("vgg11_bn")]
    [InlineData("googlenet_bn")]
    public void FusedInferenceEqualsLayerByLayerOnImageNetModels(string model) => Compare(model, -1, batch: 1);

    [Fact]
    public void TrainingPassesAndStoredParametersAreUntouched()
    {
        var sample = new Shape(3, 32, 32);
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using Network network = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
        RandomiseBatchNorms(network);
        using Tensor x = Input(backend, sample, 2);
        double[][] before = network.Parameters.Select(p => HostTensors.Download(p.Value)).ToArray();
        double[] training = HostTensors.Download(network.Forward(x, training: true));
        double[] inference = HostTensors.Download(network.Forward(x, training: false));
        double[] trainingAgain = HostTensors.Download(network.Forward(x, training: true));
        Assert.Equal(training, trainingAgain); // batch statistics, no fusion: the same pass both times
        Assert.NotEqual(training, inference);  // running statistics differ from the batch's
        for (int i = 0; i < before.Length; i++)
        {
            Assert.Equal(before[i], HostTensors.Download(network.Parameters[i].Value));
        }
    }

    /// <summary>
    /// A residual block's shortcut sum and ReLU run in its second convolution's epilogue
    /// (<see cref="IBackend.TryConvolutionForwardResidual"/>) where the shortcut is ready before that
    /// convolution runs (the identity blocks): bit for bit the network whose backend declines it (the sum
    /// and the ReLU as their own layers after the fused convolution + BN), and the sums are really skipped.
    /// </summary>
    [Theory]
    [InlineData("resnet20", 9, 7)]   // 9 blocks; the 2 that halve the map build their shortcut (no product) after the residual branch
    [InlineData("resnet20-b", 9, 9)] // there the projection's convolution comes last and adds the residual branch's output
    public void ResidualSumInTheEpilogueEqualsTheSeparateSumBitForBit(string model, int sums, int fusedSums)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model(model);
        Shape sample = definition.DefaultInput!.Value;
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using var declining = new DecliningResidual(backend);
        using Network network = Network.Build(definition.Spec, ModelTestEngine.Catalog, backend, sample, seed: 7);
        using Network separate = Network.Build(definition.Spec, ModelTestEngine.Catalog, declining, sample, seed: 7);
        RandomiseBatchNorms(network);
        RandomiseBatchNorms(separate);
        using Tensor x = Input(backend, sample, 3);
        int[] ran = [0, 0];
        Network[] networks = [network, separate];
        for (int k = 0; k < 2; k++)
        {
            Network n = networks[k];
            int side = k;
            n.LayerForwardDone = i => ran[side] += n.Layers[i] is ISumLayer ? 1 : 0;
        }
        double[] fused = HostTensors.Download(network.Forward(x, training: false));
        double[] plain = HostTensors.Download(separate.Forward(x, training: false));
        output.WriteLine($"{model}: sums run as layers {ran[0]} (fused) / {ran[1]} (declined); max |logit| {plain.Max(Math.Abs):G3}");
        Assert.Equal(plain, fused);
        Assert.Equal(sums, ran[1]);
        Assert.Equal(sums - fusedSums, ran[0]);
        Assert.Equal(fused, HostTensors.Download(network.Forward(x, training: false)));
    }

    /// <summary>A backend without the residual epilogue (as the cuDNN backend is today): the default <see cref="IBackend.TryConvolutionForwardResidual"/>.</summary>
    private sealed class DecliningResidual(IBackend inner) : BackendDecorator(inner, ownsInner: false)
    {
        public override bool TryConvolutionForwardResidual(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor scale, Tensor shift, Tensor residual,
            Activation? activation, double alpha, Tensor y) => false;
    }

    private void Compare(string model, int fusedLayers, int batch)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model(model);
        Shape sample = definition.DefaultInput ?? new Shape(3, 32, 32); // vgg-cifar declares none
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using Network network = Network.Build(definition.Spec, ModelTestEngine.Catalog, backend, sample, seed: 7);
        int normalisations = RandomiseBatchNorms(network);
        using Tensor x = Input(backend, sample, batch);

        double[] fused = HostTensors.Download(network.Forward(x, training: false));
        double[] fusedAgain = HostTensors.Download(network.Forward(x, training: false));
        network.FuseInference = false;
        double[] plain = HostTensors.Download(network.Forward(x, training: false));
        network.FuseInference = true;

        int count = network.FusedInferenceLayerCount;
        double scale = plain.Max(Math.Abs), difference = fused.Zip(plain, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{model}: {normalisations} batch norms, {count} layers fused; max |fused − plain| {difference:G3}, max |logit| {scale:G3}");
        Assert.Equal(fused, fusedAgain); // reproducible run to run
        Assert.True(count >= normalisations, $"{model}: only {count} layers fused but it has {normalisations} batch norms");
        if (fusedLayers >= 0)
        {
            Assert.Equal(fusedLayers, count);
        }
        Assert.True(scale > 0, $"{model}: every logit is 0");
        Assert.True(difference <= Tolerance * scale, $"{model}: fused and layer-by-layer inference differ by {difference:G3} (largest logit {scale:G3})");
    }

    internal static Tensor Input(IBackend backend, Shape sample, int batch) =>
        HostTensors.Upload(backend, sample.WithBatch(batch), Enumerable.Range(0, batch * (int)sample.ElementCount).Select(i => CounterRandom.Normal(11, (ulong)i)).ToArray(), DataType.Float32);

    // Running mean N(0, 0.3²), variance in [0.3, 2.3), γ in [0.5, 1.5), β N(0, 0.2²): every part of the fold matters.
    internal static int RandomiseBatchNorms(Network network)
    {
        IBackend backend = network.Backend;
        int count = 0;
        foreach (BatchNormLayer bn in network.Layers.OfType<BatchNormLayer>())
        {
            int channels = (int)bn.RunningMean.ElementCount;
            double[] Draw(ulong stream, Func<double, double> map) =>
                Enumerable.Range(0, channels).Select(c => map(CounterRandom.Uniform((ulong)(1000 * count) + stream, (ulong)c))).ToArray();
            Set(backend, bn.RunningMean, Draw(1, u => 0.6 * (u - 0.5)));
            Set(backend, bn.RunningVariance, Draw(2, u => 0.3 + 2 * u));
            Set(backend, bn.Parameters[0].Value, Draw(3, u => 0.5 + u));
            Set(backend, bn.Parameters[1].Value, Draw(4, u => 0.4 * (u - 0.5)));
            count++;
        }
        return count;
    }

    private static void Set(IBackend backend, Tensor tensor, double[] values) =>
        backend.CopyFromHost<float>(values.Select(v => (float)v).ToArray(), tensor);
}
