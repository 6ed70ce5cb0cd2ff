using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Layers.Standard;
using Engine.Tests;

namespace Engine.Models.Classic.Tests;

/// <summary>The backend's thread count is process-wide: tests that set it run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    public const string Name = "OpenBLAS thread count";
}

/// <summary>
/// <see cref="Network.SplitInference"/>: at two threads an inference pass of a batch-normalised zoo model
/// runs each half of the batch through the whole network on its own thread (a copy of the network taking
/// the weights and the running statistics). The logits are, bit for bit, those of unsplit passes over each
/// sub-batch alone, run after run, and within float32 rounding of one thread's (not its bits: some kernel of
/// these models rounds a sample differently in a batch of 3 than in one of 6, which the unsplit pass
/// shows too); a change of the running statistics and weights between passes reaches the copy.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class InferenceSplitTests
{
    [Theory]
    [InlineData("resnet20", 6)]
    [InlineData("resnet20-b", 5)]  // projection shortcuts; an odd batch: sub-batches of 3 and 2
    [InlineData("vgg-cifar", 4)]   // dropout: state (seed, step) the copy takes too
    public void ASplitInferencePassGivesTheUnsplitAndOneThreadBits(string model, int batch)
    {
        var sample = new Shape(3, 32, 32);
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount;
        try
        {
            backend.BlasThreadCount = 2;
            using Network network = Network.Build(ModelTestEngine.Catalog.Model(model).Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            Assert.True(InferenceFusionTests.RandomiseBatchNorms(network) > 0);
            using Tensor x = InferenceFusionTests.Input(backend, sample, batch);

            network.SplitInference = false;
            Assert.False(network.SplitsInference(batch)); // a large model with batch statistics: the training rule refuses
            Assert.Null(network.InferenceSplitRefusal);
            int[] unsplit = Bits(network.Forward(x, training: false));
            network.SplitInference = true;
            Assert.True(network.SplitsInference(batch), network.InferenceSplitRefusal);
            int[] split = Bits(network.Forward(x, training: false));
            int[] again = Bits(network.Forward(x, training: false));
            backend.BlasThreadCount = 1;
            Assert.False(network.SplitsInference(batch));
            int[] oneThread = Bits(network.Forward(x, training: false));

            Assert.Equal(oneThread, unsplit);
            Assert.Equal(split, again);
            Assert.Equal(Halves(network, x, batch), split);
            AssertClose(oneThread, split);

            // New running statistics and γ reach the copy at the next pass (else its half of the batch would keep the old ones).
            backend.BlasThreadCount = 2;
            BatchNormLayer last = network.Layers.OfType<BatchNormLayer>().Last();
            backend.CopyFromHost<float>(Enumerable.Repeat(0.25f, (int)last.RunningMean.ElementCount).ToArray(), last.RunningMean);
            backend.CopyFromHost<float>(Enumerable.Repeat(1.75f, (int)last.Parameters[0].Value.ElementCount).ToArray(), last.Parameters[0].Value);
            int[] changedSplit = Bits(network.Forward(x, training: false));
            network.SplitInference = false;
            int[] changedUnsplit = Bits(network.Forward(x, training: false));
            Assert.NotEqual(split, changedSplit);
            AssertClose(changedUnsplit, changedSplit);
            Assert.Equal(Halves(network, x, batch), changedSplit);
        }
        finally
        {
            backend.BlasThreadCount = before;
        }
    }

    [Fact]
    public void APerLayerHookOrTheSwitchOrBatchSplitOffKeepTheLayersWhole()
    {
        var sample = new Shape(3, 32, 32);
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount;
        try
        {
            backend.BlasThreadCount = 2;
            using Network network = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            network.SplitInference = true;
            Assert.True(network.SplitsInference(8));
            Assert.False(network.SplitsInference(1)); // a sub-batch per thread needs two examples
            Assert.False(network.SplitsBatch(8));     // training keeps its rule: batch statistics
            network.LayerForwardDone = _ => { };       // a profile of the layers sees the whole batch
            Assert.False(network.SplitsInference(8));
            network.LayerForwardDone = null;
            network.BatchSplit = BatchSplitMode.Off;
            Assert.False(network.SplitsInference(8));
        }
        finally
        {
            backend.BlasThreadCount = before;
        }
    }

    // The logits of unsplit passes over the split's sub-batches (the first one the longer), one after the other.
    private static int[] Halves(Network network, Tensor x, int batch)
    {
        bool before = network.SplitInference;
        network.SplitInference = false;
        double[] all = HostTensors.Download(x);
        int per = all.Length / batch, first = (batch + 1) / 2;
        var bits = new List<int>();
        foreach ((int start, int count) in new[] { (0, first), (first, batch - first) })
        {
            using Tensor part = HostTensors.Upload(x.Backend, network.InputShape.WithBatch(count), all[(start * per)..((start + count) * per)], DataType.Float32);
            bits.AddRange(Bits(network.Forward(part, training: false)));
        }
        network.SplitInference = before;
        return [.. bits];
    }

    private static void AssertClose(int[] expected, int[] actual)
    {
        float[] e = [.. expected.Select(BitConverter.Int32BitsToSingle)], a = [.. actual.Select(BitConverter.Int32BitsToSingle)];
        double scale = e.Max(v => Math.Abs((double)v));
        Assert.Equal(e.Length, a.Length);
        Assert.All(e.Zip(a), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 * scale, $"{p.Second} against {p.First}"));
    }

    private static int[] Bits(Tensor y) => HostTensors.Download(y).Select(v => BitConverter.SingleToInt32Bits((float)v)).ToArray();
}
