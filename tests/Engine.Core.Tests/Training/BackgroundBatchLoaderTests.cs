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
                var (inputs, labelTensor) = background.Next();
                float[] x = Host(inputs);
                int[] t = HostLabels(labelTensor);
                int[] labels = background.Labels.ToArray();
                var (refInputs, refLabels) = reference.Load(order.AsSpan(b * 32, Math.Min(32, 250 - b * 32)));
                Assert.Equal(Host(refInputs), x);
                Assert.Equal(HostLabels(refLabels), t);
                Assert.Equal(reference.Labels.ToArray(), labels);
                Assert.Equal(labels, t);
                Assert.Equal(DataType.Int32, labelTensor.DataType);
                Assert.Equal(labels.Length, inputs.Shape[0]);
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

    [Fact]
    public void TwoStagingSetsAlternateAndKeepTheirCapacityForTheSmallLastBatch()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var loader = new BatchLoader(backend, TrainingFixtures.MnistTrain(100), 40);
        var (x1, y1) = loader.Load(Enumerable.Range(0, 40).ToArray());
        var (x2, y2) = loader.Load(Enumerable.Range(40, 40).ToArray());
        var (x3, y3) = loader.Load(Enumerable.Range(80, 20).ToArray());
        Assert.NotSame(x1.Storage, x2.Storage); // batch t+1 is uploaded while step t may still read batch t
        Assert.NotSame(y1.Storage, y2.Storage);
        Assert.Same(x1.Storage, x3.Storage); // the last, smaller batch is a view of the first set
        Assert.Same(y1.Storage, y3.Storage);
        Assert.Equal(new Shape(20, 1, 28, 28), x3.Shape);
        Assert.Equal(new Shape(20), y3.Shape);
        Assert.Equal(40L * 28 * 28 * sizeof(float), x3.Storage.ByteLength);
        Assert.Equal(loader.Labels.ToArray(), HostLabels(y3));
    }

    private static int[] HostLabels(Tensor t)
    {
        var values = new int[t.ElementCount];
        t.Backend.CopyToHost<int>(t, values);
        return values;
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
