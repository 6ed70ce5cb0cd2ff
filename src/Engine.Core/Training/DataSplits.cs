using System.Globalization;

namespace Engine.Core;

/// <summary>Holding out part of a training set for validation.</summary>
public static class DataSplits
{
    /// <summary>
    /// Splits <paramref name="data"/> into training and validation views (<see cref="SubsetDataset"/>,
    /// no pixels copied), stratified: within each class the examples are shuffled with
    /// <paramref name="seed"/> and round(fraction × class size) of them go to validation, so both
    /// parts keep the class proportions. Each part lists its examples in their original order.
    /// The same (data, fraction, seed) always gives the same split.
    /// </summary>
    public static (SubsetDataset Train, SubsetDataset Validation) TrainValidation(ImageDataset data, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!(fraction > 0 && fraction < 1))
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"validation fraction must be between 0 and 1 (exclusive), got {fraction}"));
        }
        var byClass = new List<int>[data.ClassCount];
        for (int c = 0; c < byClass.Length; c++)
        {
            byClass[c] = [];
        }
        for (int i = 0; i < data.Count; i++)
        {
            int label = data.GetLabel(i);
            if ((uint)label >= (uint)byClass.Length)
            {
                throw new DataFormatException($"example {i}", $"label {label} is outside 0..{byClass.Length - 1}");
            }
            byClass[label].Add(i);
        }
        var train = new List<int>(data.Count);
        var validation = new List<int>();
        var order = new int[data.Count];
        for (int c = 0; c < byClass.Length; c++)
        {
            List<int> members = byClass[c];
            Span<int> shuffled = order.AsSpan(0, members.Count);
            EpochOrder.Shuffle(shuffled, seed, c); // one independent permutation per class
            int held = (int)Math.Round(fraction * members.Count, MidpointRounding.AwayFromZero);
            for (int j = 0; j < members.Count; j++)
            {
                (j < held ? validation : train).Add(members[shuffled[j]]);
            }
        }
        if (train.Count == 0 || validation.Count == 0)
        {
            throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture,
                $"a validation fraction of {fraction} leaves {train.Count} training and {validation.Count} validation examples of {data.Count}; both need at least one"));
        }
        train.Sort();
        validation.Sort();
        return (new SubsetDataset(data, train.ToArray()), new SubsetDataset(data, validation.ToArray()));
    }
}
