namespace Engine.Core.Tests.Training;

/// <summary>
/// Issue 8's figure: a training step makes no host round trip. Through a <see cref="CountingBackend"/>,
/// the steps of an epoch in steady state (after the first epoch, validation excluded) read from the
/// device at most once per 20 steps, with a schedule, clipping and validation on, and progress
/// reported at the CLI's cadence with no time limit (the worst case: a model too slow for the
/// 250 ms limit to skip a report).
/// </summary>
public sealed class HostSyncTests
{
    [Fact]
    public void LeNet5OnMnistReadsAtMostOncePerTwentySteps() =>
        AssertSteadyStateReads("lenet5", TrainingFixtures.MnistTrain(2000), TrainingFixtures.MnistTest(300), batchSize: 10, new Shape(1, 28, 28));

    [Fact]
    public void VggCifarOnCifarShapedDataReadsAtMostOncePerTwentySteps() =>
        AssertSteadyStateReads("vgg-cifar", new SyntheticImages(200, seed: 1), new SyntheticImages(20, seed: 2), batchSize: 2, new Shape(3, 32, 32));

    private static void AssertSteadyStateReads(string model, ImageDataset train, ImageDataset validation, int batchSize, Shape input)
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new CountingBackend(inner);
        using Network net = TrainingFixtures.Build(backend, TestEngine.Catalog.Model(model).Spec, seed: 1, input);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.01);
        using var clipping = new GradientClipping(maxNorm: 1);
        int stepsPerEpoch = train.Count / batchSize;
        var options = new TrainingOptions(Epochs: 2, BatchSize: batchSize, Seed: 1, EvaluationBatchSize: 10)
        {
            Schedule = new WarmupSchedule(10, new CosineSchedule(0.01, 0, 2L * stepsPerEpoch)),
            Clipping = clipping,
            ProgressInterval = 20,
            ProgressMinInterval = TimeSpan.Zero,
        };
        var trainer = new Trainer(net, loss, sgd, options);
        long syncsAtEpoch2 = -1, syncsAtEnd = -1;
        int reports = 0;
        trainer.EpochCompleted = r => syncsAtEpoch2 = r.Epoch == 1 ? backend.HostSyncs : syncsAtEpoch2;
        trainer.Progress = new ImmediateProgress(r =>
        {
            if (r.Epoch == 2)
            {
                reports++;
                syncsAtEnd = r.Step == stepsPerEpoch ? backend.HostSyncs : syncsAtEnd;
                Assert.True(double.IsFinite(r.Loss) && r.Loss > 0, $"loss {r.Loss}");
                Assert.InRange(r.Accuracy, 0, 1);
            }
        });

        TrainingHistory history = trainer.Fit(new TrainingData(train, validation));

        Assert.Equal(2, history.Count);
        Assert.True(double.IsFinite(history[1].ValidationLoss));
        Assert.Equal(stepsPerEpoch / 20, reports);
        long steadyReads = syncsAtEnd - syncsAtEpoch2;
        Assert.InRange(steadyReads, 1, stepsPerEpoch / 20);
        Assert.Equal(0, backend.Synchronizations);
    }

    /// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class ImmediateProgress(Action<StepReport> report) : IProgress<StepReport>
    {
        public void Report(StepReport value) => report(value);
    }

    /// <summary>CIFAR-10's shape (3×32×32, 10 classes) with seeded noise, so the test needs no download.</summary>
    private sealed class SyntheticImages(int count, ulong seed) : ImageDataset
    {
        public override int Count => count;

        public override Shape SampleShape => new(3, 32, 32);

        public override IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, 10).Select(i => $"class {i}").ToArray();

        public override void CopySample(int index, Span<float> destination)
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = (float)CounterRandom.Normal(seed, (ulong)(index * destination.Length + i));
            }
        }

        public override int GetLabel(int index) => index % 10;
    }
}
