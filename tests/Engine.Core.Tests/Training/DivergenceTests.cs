namespace Engine.Core.Tests.Training;

public sealed class DivergenceTests
{
    [Fact]
    public void AHugeLearningRateStopsTrainingNamingTheStepAndKeepsTheLastGoodCheckpoint()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, new ModelSpec("mlp", TestEngine.Catalog.Model("mlp").Spec.Layers), seed: 1);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.01);
        string file = folder.File("run.ckpt");
        var options = new TrainingOptions(Epochs: 3, BatchSize: 32, Seed: 1)
        {
            CheckpointPath = file,
            Schedule = new SwitchAt(8, 0.01, 1e30), // epoch 1 (8 steps) trains normally, then the weights explode
        };
        var trainer = new Trainer(net, loss, sgd, options);
        byte[]? afterEpoch1 = null;
        trainer.EpochCompleted = r => afterEpoch1 ??= File.ReadAllBytes(file);

        var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(new TrainingData(TrainingFixtures.MnistTrain(256))));

        Assert.Equal(2, error.Epoch);
        Assert.InRange(error.Step, 2, 8); // step 1 of epoch 2 is taken with epoch 1's weights
        Assert.Equal(8 + error.Step, error.GlobalStep);
        Assert.False(double.IsFinite(error.Loss));
        Assert.Contains($"epoch 2, step {error.Step}", error.Message);
        Assert.Contains(file, error.Message);
        Assert.IsAssignableFrom<EngineException>(error);
        Assert.Equal(afterEpoch1, File.ReadAllBytes(file));
        Assert.Equal(1, Checkpoint.Read(file).State.GetInt64("trainer/epoch"));
        Assert.False(File.Exists(file + ".tmp"));
    }

    [Fact]
    public void AReadInTheMiddleOfTheEpochStopsThereNamingTheSameFirstBadStep()
    {
        (int Step, int Reports) Run(int progressInterval)
        {
            using IBackend backend = TestEngine.CreateBackend();
            using Network net = TrainingFixtures.Build(backend, new ModelSpec("mlp", TestEngine.Catalog.Model("mlp").Spec.Layers), seed: 1);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new SgdOptimizer(0.01);
            var options = new TrainingOptions(Epochs: 3, BatchSize: 32, Seed: 1)
            {
                Schedule = new SwitchAt(8, 0.01, 1e30),
                ProgressInterval = progressInterval,
                ProgressMinInterval = TimeSpan.Zero,
            };
            var trainer = new Trainer(net, loss, sgd, options);
            int reports = 0;
            trainer.Progress = new Counting(() => reports++);
            var error = Assert.Throws<TrainingDivergedException>(() => trainer.Fit(new TrainingData(TrainingFixtures.MnistTrain(256))));
            Assert.Equal(2, error.Epoch);
            return (error.Step, reports);
        }

        var (endOfEpoch, _) = Run(progressInterval: 1000); // read only at the end of epoch 2
        var (everyStep, reports) = Run(progressInterval: 1); // read after every step
        Assert.Equal(endOfEpoch, everyStep);
        Assert.Equal(8 + everyStep - 1, reports); // every step before the bad one was reported, then the read of the bad one threw
    }

    private sealed class Counting(Action onReport) : IProgress<StepReport>
    {
        public void Report(StepReport value) => onReport();
    }

    private sealed class SwitchAt(long step, double before, double after) : ILearningRateSchedule
    {
        public string Description => "switch";

        public double RateAt(long s, int stepsPerEpoch) => s < step ? before : after;
    }
}
