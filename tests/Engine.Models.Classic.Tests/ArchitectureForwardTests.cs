using System.Diagnostics;
using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Tests;
using Xunit.Abstractions;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// One inference pass of every classic architecture at its standard input and batch 1 on the CPU,
/// and a few training steps of ResNet-20 on CIFAR shapes. The ImageNet-sized networks are the
/// "Slow" category (seconds each on two cores) but run in the normal suite.
/// </summary>
public sealed class ArchitectureForwardTests(ITestOutputHelper output)
{
    private static readonly string[] Small = ["lenet5-1998", "resnet20", "resnet20-b", "resnet32", "resnet44", "resnet56", "resnet110"];

    private static readonly string[] ImageNet =
    [
        "alexnet", "alexnet-2012", "vgg11", "vgg11_bn", "vgg11-lrn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg16c", "vgg16c_bn",
        "vgg19", "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
        "googlenet", "googlenet_bn", "googlenet-aux",
    ];

    public static TheoryData<string> SmallModels => new(Small);

    public static TheoryData<string> ImageNetModels => new(ImageNet);

    [Fact]
    public void EveryArchitectureIsCovered()
    {
        Assert.Equal(ClassicModelsPlugin.Architectures().Select(m => m.Name).Order(), Small.Concat(ImageNet).Order());
    }

    [Theory]
    [MemberData(nameof(SmallModels))]
    public void SmallModelsRunAForwardPass(string model) => ForwardOnce(model);

    [Theory]
    [Trait("Category", "Slow")]
    [MemberData(nameof(ImageNetModels))]
    public void ImageNetModelsRunAForwardPass(string model) => ForwardOnce(model);

    [Fact]
    public void ResNet20TrainingStepsLowerTheLoss()
    {
        const int batch = 8, classes = 10;
        var sample = new Shape(3, 32, 32);
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using Network network = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 3);
        double[] pixels = Enumerable.Range(0, batch * (int)sample.ElementCount).Select(i => CounterRandom.Normal(5, (ulong)i)).ToArray();
        double[] oneHot = new double[batch * classes];
        for (int i = 0; i < batch; i++)
        {
            oneHot[i * classes + (i * 7 + 3) % classes] = 1; // labels 3, 0, 7, 4, 1, 8, 5, 2
        }
        using Tensor x = HostTensors.Upload(backend, sample.WithBatch(batch), pixels, DataType.Float32);
        using Tensor t = HostTensors.Upload(backend, new Shape(batch, classes), oneHot, DataType.Float32);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.05, momentum: 0.9);

        var losses = new List<double>();
        for (int step = 0; step < 6; step++)
        {
            LossOutput result = loss.Compute(network.Forward(x, training: true), t);
            losses.Add(HostTensors.Download(result.Value)[0]);
            network.Backward(result.Gradient);
            sgd.Step(network.Parameters);
        }
        output.WriteLine($"ResNet-20, batch {batch}, SGD 0.05 momentum 0.9: losses {string.Join(", ", losses.Select(l => l.ToString("F4")))}");
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        // The first loss is about ln 10 = 2.30 for random weights; six steps on one batch learn it.
        Assert.InRange(losses[0], 1.5, 3.5);
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss went from {losses[0]:F4} to {losses[^1]:F4}");
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void GoogLeNetsAuxiliaryHeadsAreLeftOutOfInference()
    {
        var sample = new Shape(3, 224, 224);
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using Network aux = Network.Build(ModelTestEngine.Catalog.Model("googlenet-aux").Spec, ModelTestEngine.Catalog, backend, sample, seed: 1);
        using Network plain = Network.Build(ModelTestEngine.Catalog.Model("googlenet").Spec, ModelTestEngine.Catalog, backend, sample, seed: 2);
        // The 16 layers of the two heads are the ones inference skips.
        string[] skipped = aux.Layers.Where((_, i) => !aux.FeedsMainOutput[i]).Select(l => l.Name).ToArray();
        Assert.Equal(16, skipped.Length);
        Assert.All(skipped, name => Assert.StartsWith("aux", name, StringComparison.Ordinal));
        // The plain model with the aux model's weights: the same logits, bit for bit.
        var state = new StateDictionary();
        ModelState.Save(aux, state);
        ModelState.Load(plain, state, "googlenet-aux");
        double[] pixels = Enumerable.Range(0, (int)sample.ElementCount).Select(i => CounterRandom.Normal(4, (ulong)i)).ToArray();
        using Tensor x = HostTensors.Upload(backend, sample.WithBatch(1), pixels, DataType.Float32);
        double[] withHeads = HostTensors.Download(aux.Forward(x, training: false));
        Assert.Throws<InvalidOperationException>(() => aux.AuxiliaryOutput(0)); // not computed
        Assert.Equal(HostTensors.Download(plain.Forward(x, training: false)), withHeads);
    }

    private void ForwardOnce(string model)
    {
        IModelDefinition definition = ModelTestEngine.Catalog.Model(model);
        Shape sample = definition.DefaultInput!.Value;
        using IBackend backend = new OpenBlasBackendProvider().Create();
        var watch = Stopwatch.StartNew();
        using Network network = Network.Build(definition.Spec, ModelTestEngine.Catalog, backend, sample, seed: 1);
        long built = watch.ElapsedMilliseconds;
        double[] pixels = Enumerable.Range(0, (int)sample.ElementCount).Select(i => CounterRandom.Normal(9, (ulong)i)).ToArray();
        using Tensor x = HostTensors.Upload(backend, sample.WithBatch(1), pixels, DataType.Float32);
        watch.Restart();
        double[] logits = HostTensors.Download(network.Forward(x, training: false));
        output.WriteLine($"{model} at {sample}: built in {built} ms, forward in {watch.ElapsedMilliseconds} ms");
        int classes = model.StartsWith("resnet", StringComparison.Ordinal) && sample[1] == 32 || model.StartsWith("lenet", StringComparison.Ordinal) ? 10 : 1000;
        Assert.Equal(classes, logits.Length);
        Assert.All(logits, v => Assert.True(double.IsFinite(v), $"{model}: a logit is {v}"));
        Assert.True(logits.Distinct().Count() > 1, $"{model}: every logit is the same");
    }
}
