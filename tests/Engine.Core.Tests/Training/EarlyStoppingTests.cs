namespace Engine.Core.Tests.Training;

public sealed class EarlyStoppingTests
{
    [Fact]
    public void StopsAfterPatienceEpochsWithoutAnImprovementLargerThanMinDelta()
    {
        // best 1.0 → 0.8 (epoch 2); 0.79 and 0.81 do not beat 0.8 by more than 0.05 → stop at epoch 4.
        var early = new EarlyStopping(new EarlyStoppingOptions("val_loss", Patience: 2, MinDelta: 0.05));
        double[] losses = [1.0, 0.8, 0.79, 0.81, 0.5];
        int stoppedAt = 0;
        for (int e = 1; e <= losses.Length && stoppedAt == 0; e++)
        {
            stoppedAt = early.Update(e, losses[e - 1], null) ? e : 0;
        }
        Assert.Equal(4, stoppedAt);
        Assert.Equal(2, early.BestEpoch);
        Assert.Equal(0.8, early.BestValue);
    }

    [Fact]
    public void AccuracyIsMaximisedAndNaNNeverImproves()
    {
        var early = new EarlyStopping(new EarlyStoppingOptions("val_accuracy", Patience: 1));
        Assert.False(early.Update(1, 0.5, null));
        Assert.False(early.Update(2, 0.6, null));
        Assert.True(early.Update(3, double.NaN, null));
        Assert.Equal(2, early.BestEpoch);
    }

    [Fact]
    public void UnknownMetricIsAConfigurationError()
    {
        var error = Assert.Throws<ConfigurationException>(() => new EarlyStopping(new EarlyStoppingOptions("val_los")));
        Assert.Contains("'val_los'", error.Message);
        Assert.Contains("val_accuracy", error.Message);
    }

    [Fact]
    public void RestoresTheWeightsOfTheBestEpoch()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        var early = new EarlyStopping(new EarlyStoppingOptions("val_loss", Patience: 2, RestoreBestWeights: true));
        double[] losses = [0.9, 0.4, 0.6, 0.7];
        Parameter weight = net.Parameters[0];
        for (int e = 1; e <= losses.Length; e++)
        {
            backend.Fill(weight.Value, e); // the "weights" of epoch e
            if (early.Update(e, losses[e - 1], net))
            {
                break;
            }
        }
        Assert.True(early.Stopped);
        Assert.True(early.RestoreBest(net));
        var values = new float[weight.Value.ElementCount];
        backend.CopyToHost<float>(weight.Value, values);
        Assert.All(values, v => Assert.Equal(2f, v));
    }

    [Fact]
    public void StateSurvivesACheckpoint()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        var early = new EarlyStopping(new EarlyStoppingOptions("val_loss", Patience: 3, RestoreBestWeights: true));
        backend.Fill(net.Parameters[0].Value, 7);
        early.Update(1, 0.5, net);
        early.Update(2, 0.6, net);
        var state = new StateDictionary();
        early.SaveState(state, "early_stopping/");
        var restored = new EarlyStopping(early.Options);
        restored.LoadState(state, "early_stopping/");
        Assert.Equal((0.5, 1, 1), (restored.BestValue, restored.BestEpoch, restored.EpochsWithoutImprovement));
        backend.Fill(net.Parameters[0].Value, 0);
        Assert.True(restored.RestoreBest(net));
        var values = new float[net.Parameters[0].Value.ElementCount];
        backend.CopyToHost<float>(net.Parameters[0].Value, values);
        Assert.All(values, v => Assert.Equal(7f, v));
    }

    [Fact]
    public void TrainerStopsEarlyRecordsItAndAResumedRunDoesNotContinue()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.05);
        // A min delta no epoch can beat: epoch 1 improves on infinity, epoch 2 cannot, so patience 1 stops after epoch 2.
        var options = new TrainingOptions(Epochs: 6, BatchSize: 32, Seed: 1)
        {
            EarlyStopping = new EarlyStoppingOptions("val_loss", Patience: 1, MinDelta: 100, RestoreBestWeights: true),
            CheckpointPath = folder.File("run.ckpt"),
        };
        var data = new TrainingData(TrainingFixtures.MnistTrain(128), TrainingFixtures.MnistTest(64));
        TrainingHistory history = new Trainer(net, loss, sgd, options).Fit(data);
        Assert.Equal(2, history.Count);
        Assert.True(history.StoppedEarly);

        var again = new Trainer(net, loss, sgd, options);
        again.Resume(options.CheckpointPath!);
        Assert.Equal(2, again.Fit(data).Count);
        Assert.Equal(1, again.EarlyStopping!.BestEpoch);
    }

    [Fact]
    public void BestCheckpointHoldsTheEpochWithTheBestValidationLossAndTheLastCheckpointTheLastEpoch()
    {
        using var folder = new TrainingFixtures.TempFolder();
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.5); // large enough for the validation loss to go up and down
        var options = new TrainingOptions(Epochs: 4, BatchSize: 16, Seed: 1)
        {
            CheckpointPath = folder.File("last.ckpt"),
            BestCheckpointPath = folder.File("best.ckpt"),
            Metadata = new System.Text.Json.Nodes.JsonObject { ["dataset"] = "mnist" },
        };
        TrainingHistory history = new Trainer(net, loss, sgd, options).Fit(new TrainingData(TrainingFixtures.MnistTrain(160), TrainingFixtures.MnistTest(80)));
        int bestEpoch = history.MinBy(r => r.ValidationLoss)!.Epoch;
        Checkpoint best = Checkpoint.Read(options.BestCheckpointPath!);
        Checkpoint last = Checkpoint.Read(options.CheckpointPath!);
        Assert.Equal(bestEpoch, best.State.GetInt64("trainer/epoch"));
        Assert.Equal(4, last.State.GetInt64("trainer/epoch"));
        Assert.Equal(40, last.State.GetInt64("trainer/global_step"));
        Assert.Equal("mnist", last.Metadata["dataset"]!.GetValue<string>());
        Assert.Equal("bn-dropout-mlp", last.Metadata["model"]!.GetValue<string>());
        Assert.Equal(4, ((System.Text.Json.Nodes.JsonArray)last.Metadata["history"]!).Count);
        TrainingHistory saved = TrainingHistory.FromJson((System.Text.Json.Nodes.JsonArray)last.Metadata["history"]!);
        Assert.Equal(history.Select(r => (r.TrainLoss, r.ValidationLoss, r.ValidationTop5, r.GlobalStep)), saved.Select(r => (r.TrainLoss, r.ValidationLoss, r.ValidationTop5, r.GlobalStep)));
    }
}
