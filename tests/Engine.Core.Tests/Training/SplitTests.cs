namespace Engine.Core.Tests.Training;

public sealed class SplitTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(1000, 7)]
    [InlineData(5, 5)]
    public void KFoldGivesDisjointFoldsCoveringEveryExampleWithSizesWithinOne(int count, int k)
    {
        int[][] folds = KFold.Split(count, k, seed: 4);
        Assert.Equal(k, folds.Length);
        Assert.Equal(Enumerable.Range(0, count), folds.SelectMany(f => f).Order());
        Assert.InRange(folds.Max(f => f.Length) - folds.Min(f => f.Length), 0, 1);
        Assert.Equal(count / k + (count % k > 0 ? 1 : 0), folds[0].Length);
        for (int f = 0; f < k; f++)
        {
            int[] train = KFold.TrainingIndices(folds, f);
            Assert.Empty(train.Intersect(folds[f]));
            Assert.Equal(count, train.Length + folds[f].Length);
        }
    }

    [Fact]
    public void KFoldIsSeededAndShuffled()
    {
        Assert.Equal(KFold.Split(100, 4, 1), KFold.Split(100, 4, 1));
        Assert.NotEqual(KFold.Split(100, 4, 1)[0], KFold.Split(100, 4, 2)[0]);
        Assert.NotEqual(Enumerable.Range(0, 25), KFold.Split(100, 4, 1)[0]); // not the first quarter in order
    }

    [Fact]
    public void KFoldRejectsImpossibleK()
    {
        Assert.Contains("k = 1", Assert.Throws<ConfigurationException>(() => KFold.Split(10, 1, 0)).Message);
        Assert.Contains("k = 11", Assert.Throws<ConfigurationException>(() => KFold.Split(10, 11, 0)).Message);
    }

    [Fact]
    public void TrainValidationSplitIsStratifiedDisjointAndComplete()
    {
        ByteImageDataset data = TrainingFixtures.MnistTrain(1000);
        var (train, validation) = DataSplits.TrainValidation(data, 0.2, seed: 3);
        Assert.Equal(1000, train.Count + validation.Count);
        Assert.Empty(train.Indices.ToArray().Intersect(validation.Indices.ToArray()));
        for (int c = 0; c < 10; c++)
        {
            int total = Enumerable.Range(0, data.Count).Count(i => data.GetLabel(i) == c);
            int held = Enumerable.Range(0, validation.Count).Count(i => validation.GetLabel(i) == c);
            Assert.Equal((int)Math.Round(0.2 * total, MidpointRounding.AwayFromZero), held);
        }
        var again = DataSplits.TrainValidation(data, 0.2, seed: 3).Validation;
        Assert.Equal(validation.Indices.ToArray(), again.Indices.ToArray());
        Assert.NotEqual(validation.Indices.ToArray(), DataSplits.TrainValidation(data, 0.2, seed: 4).Validation.Indices.ToArray());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void TrainValidationRejectsFractionsOutsideZeroOne(double fraction)
    {
        var error = Assert.Throws<ConfigurationException>(() => DataSplits.TrainValidation(TrainingFixtures.MnistTrain(10), fraction, 1));
        Assert.Contains("validation fraction", error.Message);
    }

    [Fact]
    public void CrossValidationTrainsAFreshNetworkPerFoldAndReportsMeanAndSpread()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var loss = new SoftmaxCrossEntropyLoss();
        var built = new List<int>();
        CrossValidationResult result = CrossValidation.Run(3,
            fold =>
            {
                built.Add(fold);
                return TrainingFixtures.Build(backend, TrainingFixtures.MlpWithBatchNormAndDropout(), seed: 1);
            },
            () => new SgdOptimizer(0.1), loss, TrainingFixtures.MnistTrain(600), new TrainingOptions(Epochs: 2, BatchSize: 32, Seed: 2));
        Assert.Equal([0, 1, 2], built);
        Assert.Equal(3, result.FoldAccuracies.Count);
        Assert.All(result.FoldAccuracies, a => Assert.InRange(a, 0.6, 1.0)); // 2 epochs on 400 digits: far above chance (0.1)
        Assert.All(result.Histories, h => Assert.Equal(2, h.Count));
        double mean = result.FoldAccuracies.Average();
        Assert.Equal(mean, result.Mean, 12);
        Assert.Equal(Math.Sqrt(result.FoldAccuracies.Sum(a => (a - mean) * (a - mean)) / 3), result.StandardDeviation, 12);
        Assert.Contains("±", result.ToString());
    }
}
