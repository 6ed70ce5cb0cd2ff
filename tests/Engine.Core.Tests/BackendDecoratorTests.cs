using Engine.Core.Tests.Training;

namespace Engine.Core.Tests;

/// <summary>
/// <see cref="BackendDecorator"/>, the SDK's forwarding base: a decorator that overrides nothing is
/// invisible in the numbers, its tensors live in the inner backend's memory, and it disposes the
/// inner backend only when it owns it.
/// </summary>
public sealed class BackendDecoratorTests
{
    /// <summary>Overrides nothing: every call is the base class's forwarding.</summary>
    private sealed class Transparent(IBackend inner, bool ownsInner = false) : BackendDecorator(inner, ownsInner);

    /// <summary>Counts the calls to <see cref="BackendDecorator.Dispose(bool)"/>.</summary>
    private sealed class DisposalCounter(IBackend inner) : BackendDecorator(inner, ownsInner: true)
    {
        public int Disposals { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposals++;
            base.Dispose(disposing);
        }
    }

    [Fact]
    public void ATrainingRunThroughADecoratorThatOverridesNothingIsBitIdenticalToTheInnerBackend()
    {
        // LeNet-5 (convolution, pooling, dense, activations, softmax cross-entropy, SGD) for 4 steps.
        ByteImageDataset train = TrainingFixtures.MnistTrain(40);
        using IBackend plain = TestEngine.CreateBackend();
        using var decorated = new Transparent(TestEngine.CreateBackend(), ownsInner: true);

        var (plainBits, plainLoss, initialBits) = Train(plain, train);
        var (decoratedBits, decoratedLoss, _) = Train(decorated, train);

        Assert.Equal(plainLoss, decoratedLoss);
        Assert.True(double.IsFinite(plainLoss) && plainLoss > 0, $"loss {plainLoss}");
        Assert.Equal(plainBits.Keys, decoratedBits.Keys);
        foreach (string name in plainBits.Keys)
        {
            Assert.True(plainBits[name].SequenceEqual(decoratedBits[name]), $"{name} differs through the decorator");
        }
        // The steps changed every parameter (5 layers' weights and biases), so the comparison above compares trained values.
        var parameters = plainBits.Keys.Where(k => k.StartsWith("params/", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, parameters.Count);
        Assert.Contains("params/conv1.weight", parameters);
        Assert.All(parameters, name => Assert.False(initialBits[name].SequenceEqual(plainBits[name]), $"{name} did not change"));
    }

    private static (Dictionary<string, long[]> Bits, double Loss, Dictionary<string, long[]> Initial) Train(IBackend backend, ImageDataset train)
    {
        using Network net = TrainingFixtures.Build(backend, TestEngine.Catalog.Model("lenet5").Spec, seed: 7);
        net.BatchSplit = BatchSplitMode.Off; // a decorator lends no threads (IParallelWorkers), so only the plain backend would split
        Assert.All(net.Parameters, p => Assert.Same(backend, p.Value.Backend)); // the network computes through the decorator
        var initial = TrainingFixtures.Bits(net);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.05);
        TrainingHistory history = new Trainer(net, loss, sgd, new TrainingOptions(Epochs: 1, BatchSize: 10, Seed: 3)).Fit(new TrainingData(train));
        return (TrainingFixtures.Bits(net), history[0].TrainLoss, initial);
    }

    [Fact]
    public void DisposingATensorItAllocatedFreesTheInnerBackendsMemory()
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var decorator = new Transparent(inner);
        Tensor x = decorator.Allocate(new Shape(2, 3), DataType.Float64);
        Assert.Same(decorator, x.Backend);
        Assert.Same(inner, x.Storage.Owner);
        inner.Fill(x, 2.5); // the inner backend computes on it directly: the storage is its own
        Assert.Equal([2.5, 2.5, 2.5, 2.5, 2.5, 2.5], TestEngine.Download(x));

        x.Dispose();

        Assert.True(x.Storage.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => inner.Fill(x, 0));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    public void DisposingTheDecoratorDisposesTheInnerBackendOnlyWhenItOwnsIt(bool ownsInner, int expected)
    {
        using var inner = new DisposalCounter(TestEngine.CreateBackend());
        var decorator = new Transparent(inner, ownsInner);

        decorator.Dispose();
        decorator.Dispose(); // a second call does nothing

        Assert.Equal(expected, inner.Disposals);
    }

    [Fact]
    public void ANullInnerBackendIsRefused() =>
        Assert.Equal("inner", Assert.Throws<ArgumentNullException>(() => new Transparent(null!)).ParamName);
}
