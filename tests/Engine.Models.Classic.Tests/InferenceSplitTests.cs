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
    [InlineData("resnet20", 32, true)]   // 41 million multiply-accumulates a sample
    [InlineData("vgg-cifar", 32, true)]  // 39 million
    [InlineData("resnet18", 224, false)] // 1.8 billion: every op splits well on its own, a copy would double the weights
    [InlineData("resnet18", 64, true)]   // 0.15 billion at 64×64
    public void InferenceSplitsModelsUpToTheSizeLimit(string model, int size, bool splits)
    {
        var sample = new Shape(3, size, size);
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount;
        try
        {
            backend.BlasThreadCount = 2;
            using Network network = Network.Build(ModelTestEngine.Catalog.Model(model).Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            Assert.Equal(splits, network.MultiplyAccumulatesPerSample() <= Network.InferenceSplitMaxMultiplyAccumulates);
            Assert.Null(network.InferenceSplitRefusal);
            Assert.Equal(splits, network.SplitsInference(8));
        }
        finally
        {
            backend.BlasThreadCount = before;
        }
    }

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

    /// <summary>
    /// The copies take a weight or running statistic only when something wrote it since (its storage's version
    /// moved): a repeated pass copies nothing, and each writer — a host upload, a write through the CPU
    /// backend's raw pointer marked written, a state-dict load, a training step (optimiser and running
    /// statistics) — reaches the copy's half of the next pass, whose bits are then those of unsplit passes.
    /// </summary>
    [Fact]
    public void UnchangedPassesCopyNothingAndEveryWriterReachesTheCopy()
    {
        const int batch = 6;
        var sample = new Shape(3, 32, 32);
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount, pieces = SplitPieces.Setting;
        try
        {
            backend.BlasThreadCount = 2;
            // The static split: the copy runs its half every pass. In pieces a copy whose thread came late and found
            // no piece left takes nothing that pass, so the counts below would depend on timing.
            SplitPieces.Setting = SplitPieces.Off;
            using Network network = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            Assert.True(InferenceFusionTests.RandomiseBatchNorms(network) > 0);
            using Tensor x = InferenceFusionTests.Input(backend, sample, batch);
            network.SplitInference = true;
            Assert.True(network.SplitsInference(batch), network.InferenceSplitRefusal);
            long all = network.Parameters.Count + 2 * network.Layers.OfType<BatchNormLayer>().Count();

            int[] first = Bits(network.Forward(x, training: false));
            Assert.Equal((all, 0L), network.SplitCopies); // everything once, batch normalisation's state device to device
            int[] again = Bits(network.Forward(x, training: false));
            Assert.Equal(first, again);
            Assert.Equal((all, 0L), network.SplitCopies); // nothing written: nothing copied

            // A host upload into one weight: only that tensor is copied again.
            Parameter weight = network.Parameters[0];
            backend.CopyFromHost<float>(Enumerable.Repeat(0.05f, (int)weight.Value.ElementCount).ToArray(), weight.Value);
            int[] uploaded = AssertReaches(network, x, batch, first);
            Assert.Equal((all + 1, 0L), network.SplitCopies);

            // A write through the raw pointer, marked written as CpuStorage.Pointer's rule asks.
            BatchNormLayer norm = network.Layers.OfType<BatchNormLayer>().Last();
            var mean = (CpuStorage)norm.RunningMean.Storage;
            System.Runtime.InteropServices.Marshal.Copy(Enumerable.Repeat(0.5f, (int)norm.RunningMean.ElementCount).ToArray(), 0, mean.Pointer, (int)norm.RunningMean.ElementCount);
            mean.MarkWritten();
            int[] pointer = AssertReaches(network, x, batch, uploaded);
            Assert.Equal((all + 2, 0L), network.SplitCopies);

            // A state-dict load (another seed's weights and statistics): every tensor is written.
            using (Network other = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 9))
            {
                InferenceFusionTests.RandomiseBatchNorms(other);
                network.LoadStateDict(other.StateDict());
            }
            int[] loaded = AssertReaches(network, x, batch, pointer);
            Assert.Equal((2 * all + 2, 0L), network.SplitCopies);

            // A training step: the optimiser writes the weights, the training forward pass the running statistics.
            Tensor y = network.Forward(x, training: true);
            using Tensor gradient = HostTensors.Upload(backend, y.Shape, [.. Enumerable.Range(0, (int)y.ElementCount).Select(i => (i % 7 - 3) * 0.01)], DataType.Float32);
            network.Backward(gradient);
            using var sgd = new SgdOptimizer(0.1);
            sgd.Step(network.Parameters);
            AssertReaches(network, x, batch, loaded);
            Assert.Equal((3 * all + 2, 0L), network.SplitCopies);
        }
        finally
        {
            SplitPieces.Setting = pieces;
            backend.BlasThreadCount = before;
        }
    }

    // The split pass after a write: other bits than before it, and those of unsplit passes over each half.
    private static int[] AssertReaches(Network network, Tensor x, int batch, int[] previous)
    {
        int[] split = Bits(network.Forward(x, training: false));
        Assert.NotEqual(previous, split);
        Assert.Equal(Halves(network, x, batch), split);
        return split;
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
