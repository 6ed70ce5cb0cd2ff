namespace Engine.Core;

/// <summary>What <see cref="Network.LoadStateDict"/> left out: entries the network has that the state lacked, and entries of the state the network has no use for.</summary>
/// <param name="Missing">The network's entries absent from the state (left as they were).</param>
/// <param name="Unexpected">The state's entries that name nothing in the network (ignored).</param>
public sealed record StateLoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

public sealed partial class Network
{
    /// <summary>
    /// The network's learned state by name, copied to the host: every parameter as
    /// <c>params/&lt;parameter&gt;</c> (e.g. <c>params/conv2d1.weight</c>) and each stateful layer's state
    /// under <c>layers/&lt;layer&gt;/</c> (batch-norm <c>running_mean</c> and <c>running_var</c>, dropout
    /// step counters): the names a checkpoint file uses. Loading it into a network of the same spec
    /// with <see cref="LoadStateDict"/> restores exactly the outputs this one computes.
    /// </summary>
    public StateDictionary StateDict()
    {
        var state = new StateDictionary();
        ModelState.Save(this, state);
        return state;
    }

    /// <summary>
    /// Restores the parameters and layer state from <paramref name="state"/> (what <see cref="StateDict"/>
    /// or a checkpoint holds). Everything is checked before anything is copied: an entry of another
    /// shape or element kind is a <see cref="ShapeException"/> naming the entry and both shapes; with
    /// <paramref name="strict"/> (the default) a missing or unexpected entry is a
    /// <see cref="ConfigurationException"/> naming them. Without it the matching entries load (a
    /// stateful layer only when all its entries are there) and the report lists what did not.
    /// </summary>
    public StateLoadReport LoadStateDict(StateDictionary state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        StateDictionary own = StateDict(); // the names, shapes and element kinds this network holds
        var missing = own.Names.Where(n => !state.Contains(n)).ToList();
        var unexpected = state.Names.Where(n => !own.Contains(n)).ToList();
        var mismatched = own.Names.Where(n => state.Contains(n) && !Fits(own[n], state[n]))
            .Select(n => $"entry '{n}' is {state[n].Describe()} but the network's is {own[n].Describe()}").ToList();
        if (mismatched.Count > 0)
        {
            throw new ShapeException($"model '{Name}': cannot load the state: {string.Join("; ", mismatched)}");
        }
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
        {
            var problems = new List<string>();
            if (missing.Count > 0)
            {
                problems.Add($"{missing.Count} missing entr{(missing.Count == 1 ? "y" : "ies")} ({List(missing)})");
            }
            if (unexpected.Count > 0)
            {
                problems.Add($"{unexpected.Count} unexpected entr{(unexpected.Count == 1 ? "y" : "ies")} ({List(unexpected)})");
            }
            throw new ConfigurationException($"model '{Name}': cannot load the state: {string.Join("; ", problems)}; LoadStateDict(state, strict: false) loads the entries that match");
        }
        foreach (Parameter p in Parameters)
        {
            string name = ModelState.ParameterPrefix + p.Name;
            if (state.Contains(name))
            {
                state.CopyTo(name, p.Value);
            }
        }
        foreach (ILayer layer in _layers)
        {
            string prefix = $"{ModelState.LayerPrefix}{layer.Name}/";
            if (layer is IStatefulComponent stateful && own.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).All(state.Contains))
            {
                stateful.LoadState(state, prefix);
            }
        }
        return new StateLoadReport(missing, unexpected);
    }

    // Same shape, and floating point for floating point (float32 and float64 convert) or integer for integer.
    private static bool Fits(StateEntry own, StateEntry given) =>
        own.Shape == given.Shape && (own.Values is long[]) == (given.Values is long[]);

    private static string List(List<string> names) =>
        string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Count > 5 ? $", and {names.Count - 5} more" : "");
}
