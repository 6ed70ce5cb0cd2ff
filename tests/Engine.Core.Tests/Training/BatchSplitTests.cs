using Engine.Backend.OpenBlas;

namespace Engine.Core.Tests.Training;

/// <summary>
/// <see cref="Network.BatchSplit"/>: each thread of the backend runs a whole sub-batch. The split
/// pass computes what the unsplit one does (outputs per sample, weight gradients up to the rounding
/// of a differently grouped sum), the same bits run to run, and trains as well.
/// </summary>
[Collection(SerialCollection.Name)] // sets the process-wide thread count of the backend
public sealed class BatchSplitTests
{
    private static ModelSpec LeNet5 => TestEngine.Catalog.Model("lenet5").Spec;

    [Fact]
    public void ASplitPassGivesTheUnsplitOutputsAndGradientsAndTheSameBitsTwice()
    {
        using var threads = new ThreadCount(2);
        ByteImageDataset data = TrainingFixtures.MnistTrain(64);
        (float[] plainOut, float[] plainGrad) = Pass(threads.Backend, data, BatchSplitMode.Off, expectSplit: false);
        (float[] splitOut, float[] splitGrad) = Pass(threads.Backend, data, BatchSplitMode.On, expectSplit: true);
        (float[] againOut, float[] againGrad) = Pass(threads.Backend, data, BatchSplitMode.On, expectSplit: true);

        Assert.Equal(splitOut.Select(BitConverter.SingleToInt32Bits), againOut.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(splitGrad.Select(BitConverter.SingleToInt32Bits), againGrad.Select(BitConverter.SingleToInt32Bits));
        AssertClose(plainOut, splitOut, 1e-5);
        // The weight gradients sum 64 examples' terms; split, two halves are summed and then added.
        AssertClose(plainGrad, splitGrad, 1e-4);
        Assert.NotEqual(plainGrad, splitGrad); // a different grouping of the sum: rounding shows (else this test checks nothing)
    }

    [Fact]
    public void ACountingBackendLendsThePoolSoItsNetworkSplitsToTheSameBits()
    {
        // engine bench train runs behind a CountingBackend: it measured LeNet-5 unsplit while it lent no threads.
        using var threads = new ThreadCount(2);
        ByteImageDataset data = TrainingFixtures.MnistTrain(64);
        using var counting = new CountingBackend(threads.Backend);
        Assert.Equal(2, counting.WorkerCount);
        (float[] plainOut, float[] plainGrad) = Pass(threads.Backend, data, BatchSplitMode.On, expectSplit: true);
        (float[] countedOut, float[] countedGrad) = Pass(counting, data, BatchSplitMode.On, expectSplit: true);
        Assert.Equal(plainOut.Select(BitConverter.SingleToInt32Bits), countedOut.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(plainGrad.Select(BitConverter.SingleToInt32Bits), countedGrad.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(0, counting.Synchronizations);
        Assert.True(counting.Uploads >= 2);
    }

    [Fact]
    public void TrainingWithTheSplitReachesTheUnsplitAccuracyAndRepeatsBitForBit()
    {
        using var threads = new ThreadCount(2);
        ByteImageDataset train = TrainingFixtures.MnistTrain(2000), test = TrainingFixtures.MnistTest(500);
        (double plain, _) = Train(threads.Backend, train, test, BatchSplitMode.Off);
        (double split, Dictionary<string, long[]> bits) = Train(threads.Backend, train, test, BatchSplitMode.On);
        (double again, Dictionary<string, long[]> bitsAgain) = Train(threads.Backend, train, test, BatchSplitMode.On);
        Assert.Equal(bits, bitsAgain);
        Assert.Equal(split, again);
        // Two epochs of 2,000 examples: about 0.69 either way (chance: 0.1).
        Assert.True(split >= 0.6, $"split {split}, unsplit {plain}");
        Assert.True(Math.Abs(split - plain) <= 0.02, $"split {split}, unsplit {plain}");
    }

    [Fact]
    public void OneThreadOrABatchStatisticsLayerDoesNotSplit()
    {
        using (var one = new ThreadCount(1))
        {
            using Network lenet = TrainingFixtures.Build(one.Backend, LeNet5, seed: 3);
            lenet.BatchSplit = BatchSplitMode.On;
            Assert.Null(lenet.BatchSplitRefusal);
            Assert.False(lenet.SplitsBatch(64));
        }
        using var two = new ThreadCount(2);
        using Network bn = TrainingFixtures.Build(two.Backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 3);
        bn.BatchSplit = BatchSplitMode.On;
        Assert.Contains("'batch_norm1' (batch_norm) normalises over the batch", bn.BatchSplitRefusal);
        Assert.False(bn.SplitsBatch(64));
        using Network small = TrainingFixtures.Build(two.Backend, LeNet5, seed: 3);
        small.BatchSplit = BatchSplitMode.Auto;
        Assert.True(small.SplitsBatch(64)); // LeNet-5 is small: auto splits it
        Assert.False(small.SplitsBatch(1)); // a sub-batch per thread needs two examples
        small.BatchSplit = BatchSplitMode.Off;
        Assert.False(small.SplitsBatch(64));
    }

    private static (float[] Output, float[] Gradients) Pass(IBackend backend, ByteImageDataset data, BatchSplitMode mode, bool expectSplit)
    {
        using Network net = TrainingFixtures.Build(backend, LeNet5, seed: 5);
        net.BatchSplit = mode;
        Assert.Equal(expectSplit, net.SplitsBatch(data.Count));
        using var loss = new SoftmaxCrossEntropyLoss();
        using Tensor x = backend.Allocate(net.InputShape.WithBatch(data.Count));
        using Tensor y = backend.Allocate(new Shape(data.Count), DataType.Int32);
        float[] pixels = new float[x.ElementCount];
        int[] labels = new int[data.Count];
        int per = (int)net.InputShape.ElementCount;
        for (int i = 0; i < data.Count; i++)
        {
            data.CopySample(i, pixels.AsSpan(i * per, per));
            labels[i] = data.GetLabel(i);
        }
        backend.CopyFromHost<float>(pixels, x);
        backend.CopyFromHost<int>(labels, y);
        float[] output = Download(net.Forward(x, training: true));
        net.Backward(loss.Compute(net.Forward(x, training: true), y).Gradient);
        float[] gradients = [.. net.Parameters.SelectMany(p => Download(p.Gradient))];
        Assert.Equal(output, Download(net.Forward(x, training: false))); // inference splits alike
        return (output, gradients);
    }

    private static (double Accuracy, Dictionary<string, long[]> Bits) Train(IBackend backend, ByteImageDataset train, ByteImageDataset test, BatchSplitMode mode)
    {
        using Network net = TrainingFixtures.Build(backend, LeNet5, seed: 9);
        net.BatchSplit = mode;
        using var loss = new SoftmaxCrossEntropyLoss();
        using var sgd = new SgdOptimizer(0.05, momentum: 0.9);
        EpochResult result = new Trainer(net, loss, sgd, new TrainingOptions(Epochs: 2, BatchSize: 64, Seed: 4)).Fit(train, test).Last();
        return (result.TestAccuracy, TrainingFixtures.Bits(net));
    }

    private static float[] Download(Tensor t)
    {
        var values = new float[t.ElementCount];
        t.Backend.CopyToHost<float>(t, values);
        return values;
    }

    private static void AssertClose(float[] expected, float[] actual, double relative)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"element {i}: {actual[i]} against {expected[i]} (scale {scale})");
        }
    }

    // The backend's thread count for one test (process-wide), restored after.
    private sealed class ThreadCount : IDisposable
    {
        private readonly int _before;

        public ThreadCount(int threads)
        {
            var backend = new OpenBlasBackend();
            _before = backend.BlasThreadCount;
            backend.BlasThreadCount = threads;
            Backend = backend;
        }

        public OpenBlasBackend Backend { get; }

        public void Dispose()
        {
            Backend.BlasThreadCount = _before;
            Backend.Dispose();
        }
    }
}
