using System.Globalization;

namespace Engine.Core;

/// <summary>What k-fold cross-validation measured.</summary>
/// <param name="FoldAccuracies">Top-1 accuracy on each held-out fold, after training on the others.</param>
/// <param name="Histories">Each fold's training history.</param>
public sealed record CrossValidationResult(IReadOnlyList<double> FoldAccuracies, IReadOnlyList<TrainingHistory> Histories)
{
    /// <summary>Mean of the fold accuracies.</summary>
    public double Mean => FoldAccuracies.Average();

    /// <summary>Population standard deviation of the fold accuracies (as numpy's <c>std()</c>).</summary>
    public double StandardDeviation => Math.Sqrt(FoldAccuracies.Average(a => (a - Mean) * (a - Mean)));

    /// <summary>E.g. <c>fold accuracies 0.9612 0.9587 0.9630; mean 0.9610 ± 0.0018</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"fold accuracies {string.Join(" ", FoldAccuracies.Select(a => a.ToString("F4", CultureInfo.InvariantCulture)))}; mean {Mean:F4} ± {StandardDeviation:F4}");
}

/// <summary>k-fold cross-validation: k fresh networks, each trained on k−1 folds and scored on the remaining one.</summary>
public static class CrossValidation
{
    /// <summary>
    /// Splits <paramref name="data"/> with <see cref="KFold.Split"/> (seeded by the options' seed);
    /// for each fold builds a network with <paramref name="makeNetwork"/> (given the fold index) and an
    /// optimiser with <paramref name="makeOptimizer"/>, trains on the other folds with
    /// <paramref name="options"/> (the held-out fold serves as validation set, so early stopping
    /// works; checkpoint paths get a <c>.foldN</c> suffix), and records top-1 on the held-out fold.
    /// Networks and optimisers are disposed after their fold.
    /// </summary>
    public static CrossValidationResult Run(int k, Func<int, Network> makeNetwork, Func<IOptimizer> makeOptimizer, ILoss loss, ImageDataset data,
        TrainingOptions options, Action<int, EpochResult>? onEpoch = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(makeNetwork);
        ArgumentNullException.ThrowIfNull(makeOptimizer);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        int[][] folds = KFold.Split(data.Count, k, options.Seed);
        var accuracies = new List<double>();
        var histories = new List<TrainingHistory>();
        for (int f = 0; f < k; f++)
        {
            var train = new SubsetDataset(data, KFold.TrainingIndices(folds, f));
            var heldOut = new SubsetDataset(data, folds[f]);
            string Suffix(string path) => $"{path}.fold{f + 1}";
            TrainingOptions foldOptions = options with
            {
                CheckpointPath = options.CheckpointPath is { } c ? Suffix(c) : null,
                BestCheckpointPath = options.BestCheckpointPath is { } b ? Suffix(b) : null,
            };
            using Network network = makeNetwork(f);
            using IOptimizer optimizer = makeOptimizer();
            int fold = f;
            var trainer = new Trainer(network, loss, optimizer, foldOptions) { EpochCompleted = r => onEpoch?.Invoke(fold, r) };
            histories.Add(trainer.Fit(new TrainingData(train, Validation: heldOut), cancellation));
            accuracies.Add(Trainer.Evaluate(network, heldOut, options.EvaluationBatchSize).Top1);
        }
        return new CrossValidationResult(accuracies, histories);
    }
}
