namespace Engine.Core.Tests.Training;

public sealed class ResumeTests
{
    private const int Epochs = 3;

    public static TheoryData<string> Optimizers => ["sgd", "momentum"];

    private static IOptimizer NewOptimizer(string kind) => kind == "sgd" ? new SgdOptimizer(0.05) : new TestMomentumOptimizer(0.02);

    private static TrainingOptions Options(string? checkpoint, int epochs) => new(Epochs: epochs, BatchSize: 32, Seed: 5)
    {
        CheckpointPath = checkpoint,
        // The rate depends on the global step, so a resumed schedule must pick up where it left off.
        Schedule = new StepDecay(0.05, 0.5, 13),
    };

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ResumedRunEqualsUninterruptedRunBitForBit(string optimizerKind)
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        ByteImageDataset train = TrainingFixtures.MnistTrain(400);
        ByteImageDataset validation = TrainingFixtures.MnistTest(100);
        using var loss = new SoftmaxCrossEntropyLoss();

        // Uninterrupted: three epochs.
        using Network whole = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 11);
        using IOptimizer wholeOptimizer = NewOptimizer(optimizerKind);
        TrainingHistory expected = new Trainer(whole, loss, wholeOptimizer, Options(null, Epochs)).Fit(new TrainingData(train, validation));

        // Interrupted after epoch 1, then resumed in a fresh network and optimiser. The network is
        // built with the same model seed (dropout masks derive from it, as from the shuffle seed) but
        // every parameter and layer state is scrambled first, so all of it must come from the file.
        string file = folder.File("run.ckpt");
        using (Network first = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 11))
        using (IOptimizer firstOptimizer = NewOptimizer(optimizerKind))
        {
            new Trainer(first, loss, firstOptimizer, Options(file, 1)).Fit(new TrainingData(train, validation));
        }
        using Network resumed = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 11);
        Scramble(resumed);
        using IOptimizer resumedOptimizer = NewOptimizer(optimizerKind);
        var trainer = new Trainer(resumed, loss, resumedOptimizer, Options(file, Epochs));
        trainer.Resume(file);
        Assert.Equal(1, trainer.CompletedEpochs);
        Assert.Equal(13, trainer.GlobalStep); // 400 examples in batches of 32
        TrainingHistory actual = trainer.Fit(new TrainingData(train, validation));

        Assert.Equal(Epochs, actual.Count);
        var wholeBits = TrainingFixtures.Bits(whole);
        var resumedBits = TrainingFixtures.Bits(resumed);
        Assert.Equal(wholeBits.Keys, resumedBits.Keys);
        Assert.Contains("layers/batch_norm1/running_mean", wholeBits.Keys);
        Assert.Contains("layers/dropout1/step", wholeBits.Keys);
        Assert.Equal(39, wholeBits["layers/dropout1/step"][0]);
        foreach (string name in wholeBits.Keys)
        {
            Assert.True(wholeBits[name].SequenceEqual(resumedBits[name]), $"{name} differs after resuming");
        }
        for (int e = 0; e < Epochs; e++)
        {
            Assert.Equal(expected[e].TrainLoss, actual[e].TrainLoss);
            Assert.Equal(expected[e].ValidationLoss, actual[e].ValidationLoss);
            Assert.Equal(expected[e].LearningRate, actual[e].LearningRate);
        }
        Assert.Equal(0.0125, actual[2].LearningRate); // steps 26..38: 0.05 · 0.5²
    }

    [Fact]
    public void TheMomentumCaseNeedsTheOptimizerState()
    {
        // Without its velocities the resumed run differs, so the bit-exact theory above really
        // exercises optimiser state going through IStatefulComponent.
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        ByteImageDataset train = TrainingFixtures.MnistTrain(200);
        using var loss = new SoftmaxCrossEntropyLoss();
        string file = folder.File("run.ckpt");
        using Network whole = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 3);
        using var o1 = new TestMomentumOptimizer(0.02);
        new Trainer(whole, loss, o1, Options(file, 1)).Fit(new TrainingData(train));
        var continued = new Trainer(whole, loss, o1, Options(null, 2));
        continued.Resume(file);
        continued.Fit(new TrainingData(train));

        using Network other = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 3);
        using var o2 = new TestMomentumOptimizer(0.02);
        var forgetful = new Trainer(other, loss, new StatelessView(o2), Options(null, 2));
        forgetful.Resume(file);
        forgetful.Fit(new TrainingData(train));
        Assert.NotEqual(TrainingFixtures.Bits(whole)["params/dense2.weight"], TrainingFixtures.Bits(other)["params/dense2.weight"]);
    }

    /// <summary>Hides the optimiser's state from checkpoints.</summary>
    private sealed class StatelessView(IOptimizer inner) : IOptimizer
    {
        public string Name => inner.Name;

        public double LearningRate { get => inner.LearningRate; set => inner.LearningRate = value; }

        public void Step(IReadOnlyList<Parameter> parameters) => inner.Step(parameters);

        public IEnumerable<OpDescriptor> RequiredOps(DataType dataType) => inner.RequiredOps(dataType);

        public void Dispose()
        {
        }
    }

    [Fact]
    public void ResumingWithAnotherSeedIsAnErrorNamingTheFile()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        using var loss = new SoftmaxCrossEntropyLoss();
        string file = folder.File("run.ckpt");
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 3);
        using var sgd = new SgdOptimizer(0.01);
        new Trainer(net, loss, sgd, Options(file, 1)).Fit(new TrainingData(TrainingFixtures.MnistTrain(64)));
        var other = new Trainer(net, loss, sgd, Options(file, 2) with { Seed = 6 });
        var error = Assert.Throws<DataFormatException>(() => other.Resume(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("seed 5", error.Message);
    }

    private static void Scramble(Network network)
    {
        var state = new StateDictionary();
        ModelState.Save(network, state);
        foreach (string name in state.Names)
        {
            switch (state[name].Values)
            {
                case float[] f: Array.Fill(f, 0.123f); break;
                case long[] l: Array.Fill(l, 77L); break;
            }
        }
        ModelState.Load(network, state, "scrambled");
    }

    /// <summary>rate · factor^(step / every), integer division.</summary>
    private sealed class StepDecay(double rate, double factor, int every) : ILearningRateSchedule
    {
        public string Description => "step decay";

        public double RateAt(long step, int stepsPerEpoch) => rate * Math.Pow(factor, step / every);
    }
}
