using System.Text.Json.Nodes;
using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// Evaluation split across ranks (ranks as threads): each rank evaluates a run of the one-process
/// batches and the counts are summed, so every rank reports exactly what one process reports — the
/// top-1 and top-5 counts, the confusion matrix and the mean loss to the bit — with uneven runs,
/// a last partial batch and ranks left without a batch. The ranks' batch-norm running statistics
/// differ (each trained on its own share), and the split evaluation uses rank 0's, the ones its
/// checkpoint holds.
/// </summary>
public sealed class SplitEvaluationTests
{
    private static readonly ModelSpec BatchNormMlp = new("bn-mlp",
    [
        new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["units"] = 24 }), new LayerSpec("batch_norm"),
        new LayerSpec("relu"), new LayerSpec("dense", new JsonObject { ["units"] = 10 }),
    ]);

    [Theory]
    [InlineData(2, 32)] // 10 batches (the last of 13 examples): 5 and 5
    [InlineData(3, 32)] // 4, 3 and 3 batches
    [InlineData(4, 128)] // 3 batches: rank 3 has none
    public void RanksCountExactlyWhatOneProcessCounts(int ranks, int batchSize)
    {
        ByteImageDataset test = TrainingFixtures.MnistTest(301);
        EvaluationResult single = Evaluate(test, batchSize, statisticsSeed: 0, null);
        Assert.InRange(single.Top1, 0.02, 0.98); // a model whose counts mean something

        var group = new ThreadCommunicator.Group(ranks);
        var results = new EvaluationResult[ranks];
        var alone = new EvaluationResult[ranks];
        ThreadCommunicator.RunRanks(ranks, r =>
        {
            results[r] = Evaluate(test, batchSize, statisticsSeed: r, new ThreadCommunicator(group, r));
            alone[r] = Evaluate(test, batchSize, statisticsSeed: r, null);
        });
        Assert.NotEqual(single.Loss, alone[1].Loss); // rank 1's own running statistics give another model
        foreach (EvaluationResult result in results)
        {
            Assert.Equal(single.Count, result.Count);
            Assert.Equal(BitConverter.DoubleToInt64Bits(single.Loss), BitConverter.DoubleToInt64Bits(result.Loss));
            Assert.Equal(single.Top1, result.Top1);
            Assert.Equal(single.Top5, result.Top5);
            Assert.Equal(single.NonFiniteOutputs, result.NonFiniteOutputs);
            Assert.Equal(single.ConfusionMatrix.ToArray(), result.ConfusionMatrix.ToArray());
        }
    }

    // The same weights on every rank; batch-norm running statistics from one training forward on
    // 40 examples chosen by statisticsSeed (rank r's differ from rank 0's, as without --sync-bn).
    private static EvaluationResult Evaluate(ByteImageDataset test, int batchSize, int statisticsSeed, ICommunicator? group)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, BatchNormMlp, seed: 7);
        var random = new Random(statisticsSeed);
        float[] inputs = [.. Enumerable.Range(0, 40 * (int)network.InputShape.ElementCount).Select(_ => (float)random.NextDouble())];
        using (Tensor batch = backend.FromArray(inputs, new Shape([40, .. network.InputShape])))
        {
            network.Forward(batch, training: true);
        }
        using var loss = new SoftmaxCrossEntropyLoss();
        return Trainer.Evaluate(network, test, batchSize, loss, group);
    }
}
