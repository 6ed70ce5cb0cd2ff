namespace Engine.Core;

/// <summary>
/// Freezing parameters by name for transfer learning. "Replace the head" is: build the model with
/// a new last dense layer, <see cref="Checkpoint.LoadWeights"/> the rest from a trained checkpoint,
/// then <see cref="Freeze"/> the body (e.g. everything but <c>dense3.*</c>).
/// </summary>
public static class TransferLearning
{
    /// <summary>
    /// Freezes every parameter matching one of <paramref name="patterns"/> (<see cref="NamePattern"/>
    /// syntax) and returns their names; a pattern that matches nothing is an error listing the names.
    /// </summary>
    public static IReadOnlyList<string> Freeze(Network network, params IEnumerable<string> patterns) => SetFrozen(network, patterns, true);

    /// <summary>Unfreezes every parameter matching one of <paramref name="patterns"/> (fine-tuning after a frozen phase).</summary>
    public static IReadOnlyList<string> Unfreeze(Network network, params IEnumerable<string> patterns) => SetFrozen(network, patterns, false);

    /// <summary>Freezes every parameter except those matching <paramref name="trainable"/>: "train only the head".</summary>
    public static IReadOnlyList<string> FreezeAllExcept(Network network, params IEnumerable<string> trainable)
    {
        var keep = trainable.Select(t => new NamePattern(t)).ToList();
        var frozen = new List<string>();
        foreach (Parameter p in network.Parameters)
        {
            p.Frozen = !keep.Any(k => k.Matches(p.Name));
            if (p.Frozen)
            {
                frozen.Add(p.Name);
            }
        }
        return frozen;
    }

    private static List<string> SetFrozen(Network network, IEnumerable<string> patterns, bool frozen)
    {
        var changed = new List<string>();
        foreach (NamePattern pattern in patterns.Select(p => new NamePattern(p)))
        {
            var matches = network.Parameters.Where(p => pattern.Matches(p.Name)).ToList();
            if (matches.Count == 0)
            {
                throw new ConfigurationException($"pattern '{pattern}' matches no parameter of model '{network.Name}'; its parameters: {string.Join(", ", network.Parameters.Select(p => p.Name))}");
            }
            foreach (Parameter p in matches)
            {
                p.Frozen = frozen;
                changed.Add(p.Name);
            }
        }
        return changed.Distinct().ToList();
    }
}
