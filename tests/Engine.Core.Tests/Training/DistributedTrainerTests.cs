using System.Text.Json.Nodes;
using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// The host API's data-parallel path (<see cref="TrainingOptions.Distributed"/>) with ranks as threads
/// (<see cref="ThreadCommunicator"/>): the ranks end with the same weights as each other and, up to
/// rounding, as one trainer on the same global batches; only rank 0 writes the checkpoint, which
/// records the rank count that a resume then requires.
/// </summary>
public sealed class DistributedTrainerTests
{
    internal static readonly ModelSpec Mlp = new("mlp", [new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["units"] = 24 }), new LayerSpec("relu"), new LayerSpec("dense", new JsonObject { ["units"] = 10 })]);

    [Theory]
    [InlineData(2)]
    [InlineData(3)] // the last global batch, 13 of the 301 examples, splits 5/4/4: the ranks' weights differ
    public void RanksTrainTheWeightsOneTrainerTrains(int ranks)
    {
        using var folder = new TrainingFixtures.TempFolder();
        ByteImageDataset train = TrainingFixtures.MnistTrain(301);
        Dictionary<string, long[]> single = Train(train, checkpoint: null, distributed: null);

        var group = new ThreadCommunicator.Group(ranks);
        var results = new Dictionary<string, long[]>[ranks];
        var errors = new Exception?[ranks];
        // Threads of their own, not the pool's: every rank must run at once to meet at the barriers.
        Thread[] threads = [.. Enumerable.Range(0, ranks).Select(r => new Thread(() =>
        {
            try
            {
                // Buckets of at most 100 elements: one per parameter, started as backward passes each layer.
                results[r] = Train(train, folder.File($"rank{r}.ckpt"), new DistributedOptions(new ThreadCommunicator(group, r)) { BucketElements = 100 });
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }))];
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());
        Assert.All(errors, Assert.Null);

        for (int r = 1; r < ranks; r++)
        {
            Assert.Equal(results[0], results[r]); // every rank took the same steps, bit for bit
        }
        foreach (var (name, bits) in single)
        {
            float[] expected = bits.Select(b => BitConverter.Int32BitsToSingle((int)b)).ToArray();
            float[] actual = results[0][name].Select(b => BitConverter.Int32BitsToSingle((int)b)).ToArray();
            double difference = Math.Sqrt(expected.Zip(actual).Sum(p => Math.Pow(p.First - p.Second, 2)) / expected.Sum(v => (double)v * v));
            Assert.True(difference < 1e-5, $"{name}: {ranks} ranks differ from one trainer by {difference:E2}");
        }
        Assert.True(File.Exists(folder.File("rank0.ckpt")));
        Assert.False(File.Exists(folder.File("rank1.ckpt")));
        Assert.Equal(ranks, Checkpoint.Read(folder.File("rank0.ckpt")).Metadata["trainer"]!["ranks"]!.GetValue<int>());

        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var alone = new Trainer(network, loss, sgd, new TrainingOptions(Epochs: 2, BatchSize: 48, Seed: 5));
        var refused = Assert.Throws<DistributedMismatchException>(() => alone.Resume(folder.File("rank0.ckpt")));
        Assert.Equal($"checkpoint '{folder.File("rank0.ckpt")}' was trained on {ranks} rank(s) but this run has 1; resume it with the same number of ranks (mpirun -np {ranks})", refused.Message);
    }

    [Fact]
    public void AGlobalBatchThatDoesNotSplitIsRefused()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var group = new ThreadCommunicator.Group(3);
        var options = new TrainingOptions(BatchSize: 64) { Distributed = new DistributedOptions(new ThreadCommunicator(group, 0)) };
        var refused = Assert.Throws<DistributedMismatchException>(() => new Trainer(network, loss, sgd, options));
        Assert.Equal("the global batch size 64 does not split evenly across 3 ranks; give a batch size divisible by 3", refused.Message);
    }

    private static Dictionary<string, long[]> Train(ByteImageDataset train, string? checkpoint, DistributedOptions? distributed)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 48, Seed: 5) { CheckpointPath = checkpoint, Distributed = distributed };
        new Trainer(network, loss, sgd, options).Fit(new TrainingData(train));
        return TrainingFixtures.Bits(network);
    }
}
