using System.Numerics;

namespace Engine.Core;

/// <summary>
/// Classification metrics on host copies of network outputs (N×K logits, row-major). Ties between
/// logits go to the lower class index, so top-1 is the first maximum and top-k agrees with it.
/// </summary>
public static class Metrics
{
    /// <summary>How many rows of <paramref name="logits"/> have their maximum at the label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels) => CountTopK(logits, labels, 1);

    /// <summary>
    /// How many rows have their label among the <paramref name="k"/> largest logits: fewer than k
    /// classes score above the label's logit (or equal to it at a lower index).
    /// </summary>
    public static int CountTopK(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (labels.Length == 0)
        {
            return 0;
        }
        int classes = logits.Length / labels.Length;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            correct += Rank(logits.Slice(i * classes, classes), labels[i]) < k ? 1 : 0;
        }
        return correct;
    }

    /// <summary>The index of the first maximum of <paramref name="row"/>.</summary>
    public static int ArgMax<T>(ReadOnlySpan<T> row) where T : IComparisonOperators<T, T, bool>
    {
        int best = 0;
        for (int k = 1; k < row.Length; k++)
        {
            if (row[k] > row[best])
            {
                best = k;
            }
        }
        return best;
    }

    /// <summary>
    /// Adds softmax(<paramref name="logits"/>) to <paramref name="sum"/> in double precision, the
    /// maximum subtracted first so that large logits cannot overflow. Pass a cleared span to get the
    /// probabilities themselves.
    /// </summary>
    public static void AddSoftmax<T>(ReadOnlySpan<T> logits, Span<double> sum) where T : INumberBase<T>
    {
        double max = double.NegativeInfinity;
        foreach (T v in logits)
        {
            max = Math.Max(max, double.CreateChecked(v));
        }
        double total = 0;
        foreach (T v in logits)
        {
            total += Math.Exp(double.CreateChecked(v) - max);
        }
        for (int j = 0; j < logits.Length; j++)
        {
            sum[j] += Math.Exp(double.CreateChecked(logits[j]) - max) / total;
        }
    }

    /// <summary>
    /// Adds the batch to a K×K confusion matrix (row = true class, column = top-1 prediction),
    /// stored row-major in <paramref name="matrix"/>.
    /// </summary>
    public static void AddToConfusion(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, Span<long> matrix)
    {
        if (labels.Length == 0)
        {
            return;
        }
        int classes = logits.Length / labels.Length;
        if (matrix.Length != classes * classes)
        {
            throw new ArgumentException($"a confusion matrix of {classes} classes has {classes * classes} cells, not {matrix.Length}", nameof(matrix));
        }
        for (int i = 0; i < labels.Length; i++)
        {
            matrix[labels[i] * classes + ArgMax(logits.Slice(i * classes, classes))]++;
        }
    }

    // How many classes rank before the label: a strictly larger logit, or an equal one at a lower index.
    private static int Rank(ReadOnlySpan<float> row, int label)
    {
        float target = row[label];
        int rank = 0;
        for (int j = 0; j < row.Length; j++)
        {
            if (row[j] > target || (row[j] == target && j < label))
            {
                rank++;
            }
        }
        return rank;
    }
}
