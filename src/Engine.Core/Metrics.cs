namespace Engine.Core;

/// <summary>Classification metrics on host copies of network outputs.</summary>
public static class Metrics
{
    /// <summary>How many rows of <paramref name="logits"/> (N×K, row-major) have their maximum at the label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        if (labels.Length == 0)
        {
            return 0;
        }
        int classes = logits.Length / labels.Length;
        int correct = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            ReadOnlySpan<float> row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int k = 1; k < classes; k++)
            {
                if (row[k] > row[best])
                {
                    best = k;
                }
            }
            correct += best == labels[i] ? 1 : 0;
        }
        return correct;
    }
}
