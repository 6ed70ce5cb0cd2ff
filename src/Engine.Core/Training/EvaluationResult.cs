using System.Globalization;
using System.Text;

namespace Engine.Core;

/// <summary>What <see cref="Trainer.Evaluate"/> measured on a data set.</summary>
public sealed class EvaluationResult
{
    private readonly long[] _confusion;

    /// <summary>Wraps the counts; <paramref name="confusion"/> is K×K, row-major, row = true class, column = predicted.</summary>
    public EvaluationResult(int count, double loss, long top1Correct, long top5Correct, long[] confusion, IReadOnlyList<string> classNames)
    {
        int k = classNames.Count;
        if (confusion.Length != k * k)
        {
            throw new ArgumentException($"a confusion matrix of {k} classes has {k * k} cells, not {confusion.Length}", nameof(confusion));
        }
        Count = count;
        Loss = loss;
        Top1 = count == 0 ? double.NaN : (double)top1Correct / count;
        Top5 = count == 0 ? double.NaN : (double)top5Correct / count;
        _confusion = confusion;
        ClassNames = classNames;
    }

    /// <summary>Examples evaluated.</summary>
    public int Count { get; }

    /// <summary>Mean loss over the examples (NaN when no loss was given).</summary>
    public double Loss { get; }

    /// <summary>Examples whose output held a NaN or an infinity (never counted correct).</summary>
    public long NonFiniteOutputs { get; init; }

    /// <summary>Top-1 accuracy.</summary>
    public double Top1 { get; }

    /// <summary>Top-5 accuracy (1 when there are 5 classes or fewer).</summary>
    public double Top5 { get; }

    /// <summary>Class names in label order.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of classes K.</summary>
    public int ClassCount => ClassNames.Count;

    /// <summary>Examples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public long Confusion(int actual, int predicted) => _confusion[actual * ClassCount + predicted];

    /// <summary>The K×K matrix, row-major (row = true class).</summary>
    public ReadOnlySpan<long> ConfusionMatrix => _confusion;

    /// <summary>Per class: the fraction of its examples predicted correctly (NaN for a class with none).</summary>
    public double[] Recall()
    {
        var recall = new double[ClassCount];
        for (int c = 0; c < ClassCount; c++)
        {
            long total = 0;
            for (int p = 0; p < ClassCount; p++)
            {
                total += Confusion(c, p);
            }
            recall[c] = total == 0 ? double.NaN : (double)Confusion(c, c) / total;
        }
        return recall;
    }

    /// <summary>E.g. <c>loss 0.2931  top-1 0.9172  top-5 0.9968  (10000 examples)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"loss {Loss:F4}  top-1 {Top1:F4}  top-5 {Top5:F4}  ({Count} examples)");

    /// <summary>
    /// The matrix as aligned text: one row per true class (named), one column per predicted class
    /// (numbered, with a legend of the numbers when names are long), and each row's recall.
    /// </summary>
    public string FormatConfusionMatrix()
    {
        int k = ClassCount;
        int nameWidth = Math.Max("true \\ predicted".Length, ClassNames.Max(n => n.Length));
        int cellWidth = Math.Max(k.ToString(CultureInfo.InvariantCulture).Length, _confusion.DefaultIfEmpty(0).Max().ToString(CultureInfo.InvariantCulture).Length) + 1;
        var text = new StringBuilder();
        text.Append("true \\ predicted".PadRight(nameWidth));
        for (int p = 0; p < k; p++)
        {
            text.Append(p.ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
        }
        text.Append("  recall\n");
        double[] recall = Recall();
        for (int c = 0; c < k; c++)
        {
            text.Append($"{c} {ClassNames[c]}".PadRight(nameWidth));
            for (int p = 0; p < k; p++)
            {
                text.Append(Confusion(c, p).ToString(CultureInfo.InvariantCulture).PadLeft(cellWidth));
            }
            text.Append(string.Create(CultureInfo.InvariantCulture, $"  {recall[c]:F4}\n"));
        }
        return text.ToString();
    }
}
