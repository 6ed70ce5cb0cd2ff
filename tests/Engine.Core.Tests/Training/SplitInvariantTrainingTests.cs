using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// <see cref="TrainingOptions.ReductionShards"/>: the shard tree adds in the same order whatever the
/// rank count, so one trainer and 2, 4 or 8 ranks (threads here) train bit-identical weights, and a
/// checkpoint resumes on another rank count as if nothing had changed.
/// </summary>
public sealed class SplitInvariantTrainingTests
{
    private static readonly ModelSpec Mlp = DistributedTrainerTests.Mlp;

    [Fact]
    public void TheTreeAddsShardsInTheSameOrderOnAnyRankCount()
    {
        const int Shards = 8, Elements = 64;
        // Magnitudes from 1e-4 to 1e4 with both signs: float addition of these is far from associative.
        var random = new Random(11);
        float[][] shards = [.. Enumerable.Range(0, Shards).Select(_ => Enumerable.Range(0, Elements)
            .Select(_ => (float)((random.Next(2) * 2 - 1) * Math.Pow(10, (random.NextDouble() * 8) - 4))).ToArray())];
        float[] expected = new float[Elements], sequential = new float[Elements], otherPairs = new float[Elements];
        for (int i = 0; i < Elements; i++)
        {
            float[] v = [.. shards.Select(s => s[i])];
            expected[i] = (((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7])));
            sequential[i] = v.Aggregate(0f, (sum, x) => sum + x);
            otherPairs[i] = (((v[0] + v[2]) + (v[1] + v[3])) + ((v[4] + v[6]) + (v[5] + v[7]))); // what a wrong exchange partner would add
        }
        Assert.NotEqual(expected, sequential); // the values tell the orders apart
        Assert.NotEqual(expected, otherPairs);

        foreach (int ranks in new[] { 1, 2, 4, 8 })
        {
            foreach (bool inParts in new[] { false, true })
            {
                float[][] totals = RunRanks(ranks, group =>
                {
                    var tree = new ShardTree(Elements, Shards, group);
                    int rank = group?.Rank ?? 0;
                    for (int s = rank * (Shards / ranks); s < (rank + 1) * (Shards / ranks); s++)
                    {
                        shards[s].CopyTo(tree.Next());
                        Assert.Equal(s == ((rank + 1) * (Shards / ranks)) - 1, tree.NextIsLast);
                        if (inParts && tree.NextIsLast)
                        {
                            // The last shard as backward would give it: the end of the vector first,
                            // each part sent on while the next is being computed.
                            tree.AddLastPart(40, 24);
                            tree.Progress();
                            tree.AddLastPart(8, 32);
                            tree.AddLastPart(0, 8);
                            tree.Progress();
                        }
                        else
                        {
                            tree.Add();
                        }
                    }
                    return tree.Total().ToArray();
                });
                Assert.All(totals, total => Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), total.Select(BitConverter.SingleToInt32Bits)));
            }
        }
    }

    [Fact]
    public void TheLastShardsPartsMustCoverTheVectorBeforeTheTotal()
    {
        var tree = new ShardTree(16, 2, group: null);
        tree.Add();
        tree.AddLastPart(8, 8);
        var missing = Assert.Throws<InvalidOperationException>(() => tree.Total());
        Assert.Equal("the last shard's parts hold 8 of 16 elements", missing.Message);
        var first = new ShardTree(16, 2, group: null);
        var early = Assert.Throws<InvalidOperationException>(() => first.AddLastPart(0, 16));
        Assert.Equal("shard 1 of this rank's 2 is not its last; add it whole", early.Message);
    }

    [Fact]
    public void ExchangesOverlappingTheLastShardsBackwardChangeNoBit()
    {
        ByteImageDataset train = TrainingFixtures.MnistTrain(301);
        Dictionary<string, long[]> single = Train(train, epochs: 2, group: null)[0];
        foreach (int ranks in new[] { 2, 4 })
        {
            foreach (bool overlap in new[] { true, false })
            {
                // Buckets of at least 100 elements: the second dense layer (250) and the first (18,840), sent apart.
                Dictionary<string, long[]>[] results = Train(train, epochs: 2, new ThreadCommunicator.Group(ranks), bucketElements: 100, overlap: overlap);
                Assert.All(results, r => Assert.Equal(single, r));
            }
        }
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        var group = new ThreadCommunicator.Group(2);
        var options = new DistributedOptions(new ThreadCommunicator(group, 0)) { BucketElements = 100 };
        Assert.Equal(2, new ShardedGradients(network, 8, options.Communicator, options).BucketCount);
        Assert.Equal(1, new ShardedGradients(network, 8, options.Communicator, options with { BucketElements = 1 << 20 }).BucketCount);
    }

    [Fact]
    public void OneTrainerAndTwoFourAndEightRanksTrainTheSameBits()
    {
        ByteImageDataset train = TrainingFixtures.MnistTrain(301); // the last batch, 13 examples, leaves shards of 2 and 1
        Dictionary<string, long[]> single = Train(train, epochs: 2, group: null)[0];
        foreach (int ranks in new[] { 2, 4, 8 })
        {
            Dictionary<string, long[]>[] results = Train(train, epochs: 2, new ThreadCommunicator.Group(ranks));
            Assert.All(results, r => Assert.Equal(single, r));
        }
        Dictionary<string, long[]> plain = TrainPlain(train);
        Assert.NotEqual(single, plain); // shards are a different (equally valid) rounding of the same gradient
    }

    [Fact]
    public void ACheckpointOfTwoRanksResumesInOneProcessAsIfTrainedThere()
    {
        using var folder = new TrainingFixtures.TempFolder();
        ByteImageDataset train = TrainingFixtures.MnistTrain(301);
        Dictionary<string, long[]> straight = Train(train, epochs: 2, group: null)[0];
        string path = folder.File("two.ckpt");
        Train(train, epochs: 1, new ThreadCommunicator.Group(2), checkpoint: path);
        Assert.Equal(8, Checkpoint.Read(path).Metadata["trainer"]!["reduction_shards"]!.GetValue<int>());
        Dictionary<string, long[]> resumed = Train(train, epochs: 2, group: null, resume: path)[0];
        Assert.Equal(straight, resumed);
    }

    [Fact]
    public void ARankCountThatDoesNotDivideTheShardsIsRefused()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var group = new ThreadCommunicator.Group(4);
        var options = new TrainingOptions(BatchSize: 48) { ReductionShards = 2, Distributed = new DistributedOptions(new ThreadCommunicator(group, 0)) };
        var refused = Assert.Throws<DistributedMismatchException>(() => new Trainer(network, loss, sgd, options));
        Assert.Equal("4 ranks cannot share 2 reduction shards: the rank count must be a power of two no larger than the shard count", refused.Message);
        var uneven = Assert.Throws<DistributedMismatchException>(() => new Trainer(network, loss, sgd, new TrainingOptions(BatchSize: 44) { ReductionShards = 8 }));
        Assert.Equal("the batch size 44 does not split into 8 reduction shards; give a batch size divisible by 8", uneven.Message);
    }

    // One trainer (group null) or one per rank, on threads; every rank's final weights.
    private static Dictionary<string, long[]>[] Train(ByteImageDataset train, int epochs, ThreadCommunicator.Group? group, string? checkpoint = null, string? resume = null,
        int bucketElements = 1 << 20, bool overlap = true) =>
        RunRanks(group?.Size ?? 1, communicator =>
        {
            using IBackend backend = TestEngine.CreateBackend();
            using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
            using var loss = new SoftmaxCrossEntropyLoss();
            using var sgd = new SgdOptimizer(0.1, momentum: 0.9);
            var options = new TrainingOptions(Epochs: epochs, BatchSize: 48, Seed: 5)
            {
                ReductionShards = 8,
                CheckpointPath = checkpoint,
                Distributed = communicator is null ? null : new DistributedOptions(communicator) { BucketElements = bucketElements, Overlap = overlap },
            };
            var trainer = new Trainer(network, loss, sgd, options);
            if (resume is not null)
            {
                trainer.Resume(resume);
            }
            trainer.Fit(new TrainingData(train));
            return TrainingFixtures.Bits(network);
        }, group);

    private static Dictionary<string, long[]> TrainPlain(ByteImageDataset train)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, Mlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1, momentum: 0.9);
        new Trainer(network, loss, sgd, new TrainingOptions(Epochs: 2, BatchSize: 48, Seed: 5)).Fit(new TrainingData(train));
        return TrainingFixtures.Bits(network);
    }

    // Runs body once per rank on threads of their own (every rank must run at once to meet at the
    // exchanges); with one rank and no group, on this thread without a communicator.
    private static T[] RunRanks<T>(int ranks, Func<ICommunicator?, T> body, ThreadCommunicator.Group? group = null)
    {
        if (ranks == 1 && group is null)
        {
            return [body(null)];
        }
        group ??= new ThreadCommunicator.Group(ranks);
        var results = new T[ranks];
        var errors = new Exception?[ranks];
        Thread[] threads = [.. Enumerable.Range(0, ranks).Select(r => new Thread(() =>
        {
            try
            {
                results[r] = body(new ThreadCommunicator(group, r));
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }))];
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());
        Assert.All(errors, Assert.Null);
        return results;
    }
}
