using System.Text.Json.Nodes;
using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// Synchronised batch normalisation (<see cref="DistributedOptions.SyncBatchNorm"/>) with ranks as
/// threads: a batch-norm layer split over 2 or 3 ranks, each given its share of one batch (uneven
/// shares, one of a single example), gives what one layer gives on the whole batch — outputs,
/// input gradients (each rank's is of its own mean loss, so it is scaled by its share), parameter
/// gradients (summed with those shares) and running statistics; without the sum it does not. A
/// trainer with the option trains the weights one process trains, a rank with an empty share of
/// the last batch included.
/// </summary>
public sealed class SyncBatchNormTests
{
    private static readonly ModelSpec BatchNormOnly = new("bn", [new LayerSpec("batch_norm", new JsonObject { ["momentum"] = 0.3 })]);

    private static readonly ModelSpec BatchNormMlp = new("bn-mlp",
    [
        new LayerSpec("flatten"), new LayerSpec("dense", new JsonObject { ["units"] = 24 }), new LayerSpec("batch_norm"),
        new LayerSpec("relu"), new LayerSpec("dense", new JsonObject { ["units"] = 10 }),
    ]);

    [Theory]
    [InlineData(2, 7, new[] { 3, 2, 2 })] // convolutional input: 4 and 3 examples of 4 values per channel
    [InlineData(3, 7, new[] { 3, 2, 2 })] // 3, 2 and 2 examples
    [InlineData(2, 3, new[] { 5 })] // dense input: rank 1 has one example, one value per channel
    public void ALayerOnSeveralRanksComputesWhatOneLayerComputesOnTheWholeBatch(int ranks, int batch, int[] sample)
    {
        var shape = new Shape([batch, .. sample]);
        var random = new Random(11);
        float[] x = [.. Enumerable.Range(0, (int)shape.ElementCount).Select(i => (float)(3 + (2 * random.NextDouble()) + (i % 5)))];
        float[] dy = [.. Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)(random.NextDouble() - 0.3))];
        Pass single = RunLayer(x, dy, shape, 0, batch, null);

        // Per-rank statistics need 2 values per channel on every rank: not so with a one-example share of a dense input.
        bool[] modes = batch / ranks * (shape.ElementCount / shape[0] / shape[1]) >= 2 ? [true, false] : [true];
        foreach (bool sync in modes)
        {
            var group = new ThreadCommunicator.Group(ranks);
            var passes = new Pass[ranks];
            ThreadCommunicator.RunRanks(ranks, r =>
            {
                (int start, int count) = BatchShard.Slice(batch, r, ranks);
                passes[r] = RunLayer(x, dy, shape, start, count, sync ? new RankSum(new ThreadCommunicator(group, r)) : null);
            });
            float[] y = [.. passes.SelectMany(p => p.Output)];
            float[] dx = [.. passes.SelectMany(p => p.InputGradient)];
            float[] dGamma = Weighted(passes, p => p.GammaGradient, batch);
            float[] dBeta = Weighted(passes, p => p.BetaGradient, batch);
            if (sync)
            {
                AssertClose(single.Output, y, "output", ranks);
                AssertClose(single.InputGradient, dx, "input gradient", ranks);
                AssertClose(single.GammaGradient, dGamma, "gamma gradient", ranks);
                AssertClose(single.BetaGradient, dBeta, "beta gradient", ranks);
                foreach (Pass p in passes)
                {
                    AssertClose(single.RunningMean, p.RunningMean, "running mean", ranks);
                    AssertClose(single.RunningVariance, p.RunningVariance, "running variance", ranks);
                }
            }
            else
            {
                Assert.True(Relative(single.Output, y) > 1e-2, $"per-rank statistics gave the one-process output within {Relative(single.Output, y):E2}");
                Assert.True(Relative(single.InputGradient, dx) > 1e-2, $"per-rank statistics gave the one-process input gradient within {Relative(single.InputGradient, dx):E2}");
                Assert.True(Relative(single.RunningVariance, passes[0].RunningVariance) > 1e-3, "per-rank statistics gave the one-process running variance");
            }
        }
    }

    [Theory]
    [InlineData(2, 301)] // the last global batch, 13 examples, splits 7/6
    [InlineData(3, 290)] // the last global batch, 2 examples, splits 1/1/0: rank 2 stands in with zeros
    public void RanksWithSynchronisedStatisticsTrainWhatOneTrainerTrains(int ranks, int examples)
    {
        ByteImageDataset train = TrainingFixtures.MnistTrain(examples);
        Dictionary<string, float[]> single = Train(train, null);
        // Per-rank statistics cannot train a one-example share of the dense batch norm (290: 1/1/0).
        bool[] modes = examples % 48 >= 2 * ranks ? [true, false] : [true];
        foreach (bool sync in modes)
        {
            var group = new ThreadCommunicator.Group(ranks);
            var results = new Dictionary<string, float[]>[ranks];
            ThreadCommunicator.RunRanks(ranks, r => results[r] = Train(train, new DistributedOptions(new ThreadCommunicator(group, r)) { BucketElements = 100, SyncBatchNorm = sync }));
            double worst = single.Max(entry => Relative(entry.Value, results[0][entry.Key]));
            Console.WriteLine($"{ranks} ranks, {examples} examples, sync {sync}: worst relative difference {worst:E2}");
            if (sync)
            {
                // 14 steps of SGD let the ranks' other summation order grow to ~1e-5 (1.0e-5 measured with 3 ranks).
                Assert.True(worst < 1e-4, $"{ranks} ranks with synchronised statistics differ from one trainer by {worst:E2}");
                for (int r = 1; r < ranks; r++)
                {
                    Assert.All(results[0], entry => Assert.Equal(entry.Value, results[r][entry.Key])); // every rank took the same steps
                }
            }
            else
            {
                Assert.True(worst > 1e-3, $"{ranks} ranks with per-rank statistics came within {worst:E2} of one trainer");
            }
        }
    }

    private static Dictionary<string, float[]> Train(ByteImageDataset train, DistributedOptions? distributed)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, BatchNormMlp, seed: 7);
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.1);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 48, Seed: 5) { Distributed = distributed };
        new Trainer(network, loss, sgd, options).Fit(new TrainingData(train));
        var state = new StateDictionary();
        ModelState.Save(network, state);
        return state.Names.Where(n => state[n].Values is float[]).ToDictionary(n => n, n => (float[])state[n].Values);
    }

    // One training forward and backward of a batch-norm layer on examples [start, start + count) of
    // x; the rank's output gradient is of its own mean loss: the global one times batch/count.
    private static Pass RunLayer(float[] x, float[] dy, Shape shape, int start, int count, ICrossReplicaSum? sum)
    {
        int perExample = (int)(shape.ElementCount / shape[0]);
        int[] sample = [.. shape.Skip(1)];
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = TrainingFixtures.Build(backend, BatchNormOnly, seed: 1, new Shape(sample));
        network.ComputeInputGradient = true;
        var layer = (IBatchStatisticsLayer)network.Layers[0];
        layer.CrossReplicaSum = sum;
        var local = new Shape([count, .. sample]);
        float scale = (float)shape[0] / count;
        using Tensor input = backend.FromArray(x[(start * perExample)..((start + count) * perExample)], local);
        using Tensor gradient = backend.FromArray([.. dy[(start * perExample)..((start + count) * perExample)].Select(v => v * scale)], local);
        float[] y = network.Forward(input, training: true).ToArray();
        float[] dx = [.. network.Backward(gradient)!.ToArray().Select(v => v / scale)];
        var bn = (Engine.Layers.Standard.BatchNormLayer)network.Layers[0];
        return new Pass(y, dx, bn.Parameters[0].Gradient.ToArray(), bn.Parameters[1].Gradient.ToArray(), bn.RunningMean.ToArray(), bn.RunningVariance.ToArray(), count);
    }

    // Parameter gradients summed over the ranks as the trainer sums them: each by its share of the batch.
    private static float[] Weighted(Pass[] passes, Func<Pass, float[]> gradient, int batch) =>
        [.. Enumerable.Range(0, gradient(passes[0]).Length).Select(c => (float)passes.Sum(p => gradient(p)[c] * (double)p.Count / batch))];

    private static void AssertClose(float[] expected, float[] actual, string what, int ranks)
    {
        double difference = Relative(expected, actual);
        Assert.True(difference < 1e-5, $"{what}: {ranks} synchronised ranks differ from one layer by {difference:E2} (relative L2)");
    }

    private static double Relative(float[] expected, float[] actual) =>
        Math.Sqrt(expected.Zip(actual).Sum(p => Math.Pow(p.First - p.Second, 2)) / expected.Sum(v => (double)v * v));

    private sealed record Pass(float[] Output, float[] InputGradient, float[] GammaGradient, float[] BetaGradient, float[] RunningMean, float[] RunningVariance, int Count);

    private sealed class RankSum(ICommunicator group) : ICrossReplicaSum
    {
        public void Sum(Span<double> values) => group.Sum(values);
    }
}
