namespace Engine.Core.Tests.Training;

public sealed class MetricsTests
{
    // Three examples, six classes.
    private static readonly float[] Logits =
    [
        0.1f, 0.9f, 0.3f, 0.2f, 0.0f, 0.5f, // order 1,5,2,3,0,4
        5f, 4f, 3f, 2f, 1f, 0f,             // order 0..5
        1f, 1f, 1f, 1f, 1f, 1f,             // all tied: ties go to the lower index
    ];

    [Theory]
    [InlineData(new[] { 1, 0, 0 }, 1, 3)]
    [InlineData(new[] { 4, 5, 5 }, 1, 0)]
    [InlineData(new[] { 0, 4, 4 }, 5, 3)] // ranks 4, 4, 4
    [InlineData(new[] { 4, 5, 5 }, 5, 0)] // ranks 5, 5, 5
    [InlineData(new[] { 3, 2, 2 }, 3, 2)] // ranks 3, 2, 2
    public void TopKCountsTheLabelsAmongTheKLargest(int[] labels, int k, int expected) =>
        Assert.Equal(expected, Metrics.CountTopK(Logits, labels, k));

    [Fact]
    public void ConfusionMatrixCountsTrueRowsAgainstPredictedColumns()
    {
        var matrix = new long[36];
        Metrics.AddToConfusion(Logits, [1, 2, 3], matrix);
        Metrics.AddToConfusion(Logits, [1, 0, 0], matrix);
        Assert.Equal(2, matrix[1 * 6 + 1]); // example 1 predicted 1, twice labelled 1
        Assert.Equal(1, matrix[2 * 6 + 0]);
        Assert.Equal(1, matrix[3 * 6 + 0]);
        Assert.Equal(2, matrix[0 * 6 + 0]);
        Assert.Equal(6, matrix.Sum());
    }

    [Fact]
    public void EvaluationResultFormatsTheMatrixWithClassNamesAndRecall()
    {
        long[] confusion = [8, 2, 0, 1, 9, 0, 0, 5, 5];
        var result = new EvaluationResult(30, 0.5, 22, 30, confusion, ["cat", "dog", "bird"]);
        Assert.Equal(22.0 / 30, result.Top1, 12);
        Assert.Equal(1.0, result.Top5);
        Assert.Equal(5, result.Confusion(2, 1));
        Assert.Equal([0.8, 0.9, 0.5], result.Recall());
        string[] lines = result.FormatConfusionMatrix().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.Equal("true \\ predicted 0 1 2  recall", lines[0]);
        Assert.Equal("2 bird           0 5 5  0.5000", lines[3]); // names padded to the header's width
    }

    [Fact]
    public void EvaluateAgreesWithAHandCountOverTheSameOutputs()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 4);
        ByteImageDataset data = TrainingFixtures.MnistTest(300);
        using var loss = new SoftmaxCrossEntropyLoss();
        EvaluationResult result = Trainer.Evaluate(net, data, batchSize: 64, loss);

        // Reference: one batch of all 300 through the synchronous loader.
        using var loader = new BatchLoader(backend, data, 300);
        var (inputs, targets) = loader.Load(Enumerable.Range(0, 300).ToArray());
        Tensor output = net.Forward(inputs, training: false);
        var logits = new float[output.ElementCount];
        backend.CopyToHost<float>(output, logits);
        Assert.Equal(300, result.Count);
        Assert.Equal(Metrics.CountTopK(logits, loader.Labels, 1) / 300.0, result.Top1, 12);
        Assert.Equal(Metrics.CountTopK(logits, loader.Labels, 5) / 300.0, result.Top5, 12);
        Assert.True(result.Top5 > result.Top1);
        var loss1 = new float[1];
        backend.CopyToHost<float>(loss.Compute(output, targets).Value, loss1);
        Assert.Equal(loss1[0], result.Loss, 4);
        Assert.Equal(300, result.ConfusionMatrix.ToArray().Sum());
        Assert.Equal(result.Top1 * 300, Enumerable.Range(0, 10).Sum(c => result.Confusion(c, c)), 9);
    }

    [Fact]
    public void NaNWeightsScoreNothingCorrectInEvaluate()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 4);
        foreach (Parameter p in net.Parameters)
        {
            backend.Fill(p.Value, double.NaN);
        }
        using var loss = new SoftmaxCrossEntropyLoss();
        EvaluationResult result = Trainer.Evaluate(net, TrainingFixtures.MnistTest(100), batchSize: 32, loss);
        Assert.Equal(100, result.Count);
        Assert.Equal(0, result.Top1); // NaN logits never rank the label first, whatever the tie rule
        Assert.Equal(0, result.Top5);
        Assert.True(double.IsNaN(result.Loss));
        Assert.Equal(100, Enumerable.Range(0, 10).Sum(c => result.Confusion(c, 0))); // a NaN row predicts its first NaN: class 0
        Assert.Equal(100, result.NonFiniteOutputs);
    }

    [Fact]
    public void EvaluateCountsTheExamplesWhoseOutputIsNotFinite()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 4);
        // Examples 3, 40 and 41 (batches 1 and 2 of 32) carry an infinite pixel: their outputs alone are not finite.
        var data = new PoisonedDataset(TrainingFixtures.MnistTest(70), [3, 40, 41]);
        EvaluationResult result = Trainer.Evaluate(net, data, batchSize: 32);
        Assert.Equal(3, result.NonFiniteOutputs);
        EvaluationResult clean = Trainer.Evaluate(net, TrainingFixtures.MnistTest(70), batchSize: 32);
        Assert.Equal(0, clean.NonFiniteOutputs);
        Assert.True(result.Top1 * 70 <= clean.Top1 * 70 + 1e-9); // the poisoned ones are never counted correct
    }

    private sealed class PoisonedDataset(ImageDataset inner, int[] poisoned) : ImageDataset
    {
        public override int Count => inner.Count;

        public override Shape SampleShape => inner.SampleShape;

        public override IReadOnlyList<string> ClassNames => inner.ClassNames;

        public override int GetLabel(int index) => inner.GetLabel(index);

        public override void CopySample(int index, Span<float> destination)
        {
            inner.CopySample(index, destination);
            if (poisoned.Contains(index))
            {
                destination[100] = float.PositiveInfinity;
            }
        }
    }

    [Fact]
    public void EvaluateReadsTheDeviceOnceForAWholePass()
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new CountingBackend(inner);
        using Network net = TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 4);
        // With the inference batch split (CPU pool) too: its copies take batch normalisation's running statistics
        // device to device (IInferenceState), and dropout lists no inference state, so no pass reads the device.
        using var loss = new SoftmaxCrossEntropyLoss();
        backend.ResetCounts();
        EvaluationResult result = Trainer.Evaluate(net, TrainingFixtures.MnistTest(300), batchSize: 32, loss); // 10 batches
        Assert.Equal(1, backend.HostSyncs);
        Assert.InRange(result.Top1, 0.01, 1);
        Assert.True(double.IsFinite(result.Loss) && result.Loss > 0);
    }
}
