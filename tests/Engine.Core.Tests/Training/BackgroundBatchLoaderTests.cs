namespace Engine.Core.Tests.Training;

public sealed class BackgroundBatchLoaderTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void GivesTheSameBatchesAsTheSynchronousLoader(int depth)
    {
        using IBackend backend = TestEngine.CreateBackend();
        ByteImageDataset data = TrainingFixtures.MnistTrain(250);
        var order = new int[data.Count];
        using var background = new BackgroundBatchLoader(backend, data, 32, depth);
        using var reference = new BatchLoader(backend, data, 32);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            EpochOrder.Shuffle(order, 9, epoch);
            background.Start(order, order.Length, 32);
            Assert.Equal(8, background.BatchCount);
            for (int b = 0; b < 8; b++)
            {
                var (inputs, targets) = background.Next();
                float[] x = Host(inputs), t = Host(targets);
                int[] labels = background.Labels.ToArray();
                var (refInputs, refTargets) = reference.Load(order.AsSpan(b * 32, Math.Min(32, 250 - b * 32)));
                Assert.Equal(Host(refInputs), x);
                Assert.Equal(Host(refTargets), t);
                Assert.Equal(reference.Labels.ToArray(), labels);
            }
            Assert.Throws<InvalidOperationException>(() => background.Next());
        }
    }

    [Fact]
    public void AnErrorReadingAnExampleSurfacesOnTheTrainingThreadNamingIt()
    {
        using IBackend backend = TestEngine.CreateBackend();
        var data = new FailingDataset(TrainingFixtures.MnistTrain(100), failAt: 77);
        int[] order = Enumerable.Range(0, 100).ToArray();
        using var loader = new BackgroundBatchLoader(backend, data, 10);
        loader.Start(order, order.Length, 10);
        for (int b = 0; b < 7; b++)
        {
            loader.Next();
        }
        var error = Assert.Throws<EngineException>(() => loader.Next());
        Assert.Contains("example 77", error.Message);
        Assert.Contains("batch 8", error.Message);
        Assert.Contains("disk read error", error.Message);
        Assert.IsType<IOException>(error.InnerException);
    }

    [Fact]
    public void TrainerReportsTheFailingExample()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.01);
        var trainer = new Trainer(net, loss, sgd, new TrainingOptions(1, 16));
        var error = Assert.Throws<EngineException>(() => trainer.Fit(new TrainingData(new FailingDataset(TrainingFixtures.MnistTrain(64), failAt: 5))));
        Assert.Contains("example 5", error.Message);
    }

    [Fact]
    public void DisposingWhileTheProducerWaitsReturnsPromptly()
    {
        using IBackend backend = TestEngine.CreateBackend();
        var loader = new BackgroundBatchLoader(backend, TrainingFixtures.MnistTrain(100), 10);
        loader.Start(Enumerable.Range(0, 100).ToArray(), 100, 10);
        loader.Next(); // the producer is now blocked on a full ring
        var clock = System.Diagnostics.Stopwatch.StartNew();
        loader.Dispose();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
    }

    private static float[] Host(Tensor t)
    {
        var values = new float[t.ElementCount];
        t.Backend.CopyToHost<float>(t, values);
        return values;
    }

    private sealed class FailingDataset(ImageDataset inner, int failAt) : ImageDataset
    {
        public override int Count => inner.Count;

        public override Shape SampleShape => inner.SampleShape;

        public override IReadOnlyList<string> ClassNames => inner.ClassNames;

        public override void CopySample(int index, Span<float> destination)
        {
            if (index == failAt)
            {
                throw new IOException("disk read error");
            }
            inner.CopySample(index, destination);
        }

        public override int GetLabel(int index) => inner.GetLabel(index);
    }
}
