namespace Engine.Core.Tests.Training;

public sealed class TransferLearningTests
{
    [Fact]
    public void LoadWeightsCopiesMatchingParametersAndSkipsAReplacedHead()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        string file = folder.File("ten.ckpt");
        using Network ten = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(classes: 10), seed: 1);
        using (var loss = new SoftmaxCrossEntropyLoss())
        using (var sgd = new SgdOptimizer(0.05))
        {
            new Trainer(ten, loss, sgd, new TrainingOptions(1, 32) { CheckpointPath = file }).Fit(new TrainingData(TrainingFixtures.MnistTrain(128)));
        }

        using Network three = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(classes: 3), seed: 2);
        var before = TrainingFixtures.Bits(three);
        WeightLoadReport report = Checkpoint.LoadWeights(three, file);

        Assert.Equal(["dense1.weight", "dense1.bias", "batch_norm1.gamma", "batch_norm1.beta", "layers/batch_norm1", "layers/dropout1"], report.Loaded);
        Assert.Equal(["dense2.weight", "dense2.bias"], report.Skipped.Select(s => s.Name));
        Assert.Contains("shape [10, 32] in the checkpoint, [3, 32] in the model", report.Skipped[0].Reason);
        var after = TrainingFixtures.Bits(three);
        var source = TrainingFixtures.Bits(ten);
        Assert.Equal(source["params/dense1.weight"], after["params/dense1.weight"]);
        Assert.Equal(source["layers/batch_norm1/running_var"], after["layers/batch_norm1/running_var"]);
        Assert.Equal(before["params/dense2.weight"], after["params/dense2.weight"]);
    }

    [Fact]
    public void ExceptPatternsKeepParametersAsTheyAre()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        string file = folder.File("a.ckpt");
        using Network a = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        var state = new StateDictionary();
        ModelState.Save(a, state);
        new Checkpoint(state).Write(file);
        using Network b = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 2);
        WeightLoadReport report = Checkpoint.LoadWeights(b, file, "*.bias");
        Assert.Equal(["dense1.bias", "dense2.bias"], report.Skipped.Select(s => s.Name));
        Assert.All(report.Skipped, s => Assert.Equal("excluded by '*.bias'", s.Reason));
    }

    [Fact]
    public void FreezeByPatternStopsTheOptimiserMovingThoseParameters()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        Assert.Equal(["dense1.weight", "dense1.bias", "batch_norm1.gamma", "batch_norm1.beta"],
            TransferLearning.FreezeAllExcept(net, "dense2.*"));
        var before = TrainingFixtures.Bits(net);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        new Trainer(net, loss, sgd, new TrainingOptions(1, 32)).Fit(new TrainingData(TrainingFixtures.MnistTrain(64)));
        var after = TrainingFixtures.Bits(net);
        Assert.Equal(before["params/dense1.weight"], after["params/dense1.weight"]);
        Assert.Equal(before["params/batch_norm1.gamma"], after["params/batch_norm1.gamma"]);
        Assert.NotEqual(before["params/dense2.weight"], after["params/dense2.weight"]);

        TransferLearning.Unfreeze(net, "dense1.*");
        Assert.False(net.Parameters[0].Frozen);
        var error = Assert.Throws<ConfigurationException>(() => TransferLearning.Freeze(net, "conv*"));
        Assert.Contains("'conv*'", error.Message);
        Assert.Contains("dense1.weight", error.Message);
    }
}
