namespace Engine.Core;

/// <summary>What <see cref="Checkpoint.LoadWeights"/> did with each parameter of the network.</summary>
/// <param name="Loaded">Parameters (and stateful layers, as <c>layers/&lt;name&gt;</c>) copied from the file.</param>
/// <param name="Skipped">Those left as they were, with the reason: excluded by a pattern, absent from the file, or of another shape.</param>
public sealed record WeightLoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<(string Name, string Reason)> Skipped);

public sealed partial class Checkpoint
{
    /// <summary>
    /// Transfer learning: copies into <paramref name="network"/> every parameter whose name is in the
    /// checkpoint at <paramref name="path"/> with the same shape, except those matching one of
    /// <paramref name="except"/> (<see cref="NamePattern"/> syntax). A parameter of another shape (a
    /// classifier head with a different number of classes) is skipped, not an error. Layer state
    /// (batch-norm statistics) is loaded for a stateful layer whose entries all match. Nothing else
    /// of the run (optimiser, step, epoch) is touched.
    /// </summary>
    public static WeightLoadReport LoadWeights(Network network, string path, params IEnumerable<string> except)
    {
        Checkpoint checkpoint = Read(path);
        var patterns = except.Select(e => new NamePattern(e)).ToList();
        var loaded = new List<string>();
        var skipped = new List<(string, string)>();
        StateDictionary state = checkpoint.State;
        foreach (Parameter p in network.Parameters)
        {
            string entry = ModelState.ParameterPrefix + p.Name;
            if (patterns.FirstOrDefault(x => x.Matches(p.Name)) is { } pattern)
            {
                skipped.Add((p.Name, $"excluded by '{pattern}'"));
            }
            else if (!state.Contains(entry))
            {
                skipped.Add((p.Name, "not in the checkpoint"));
            }
            else if (state[entry].Shape != p.Value.Shape)
            {
                skipped.Add((p.Name, $"shape {state[entry].Shape} in the checkpoint, {p.Value.Shape} in the model"));
            }
            else
            {
                ModelState.Guard(path, $"parameter '{p.Name}'", () => state.CopyTo(entry, p.Value));
                loaded.Add(p.Name);
            }
        }
        foreach (ILayer layer in network.Layers)
        {
            if (layer is not IStatefulComponent stateful || patterns.Any(x => x.Matches(layer.Name)))
            {
                continue;
            }
            // Learn the layer's entry names and shapes from the layer itself, then load only if all fit.
            string prefix = $"{ModelState.LayerPrefix}{layer.Name}/";
            var own = new StateDictionary();
            stateful.SaveState(own, prefix);
            if (own.Names.All(n => state.Contains(n) && state[n].Shape == own[n].Shape))
            {
                ModelState.Guard(path, $"layer '{layer.Name}'", () => stateful.LoadState(state, prefix));
                loaded.Add(prefix.TrimEnd('/'));
            }
            else
            {
                skipped.Add((prefix.TrimEnd('/'), "its state is missing from the checkpoint or of another shape"));
            }
        }
        return new WeightLoadReport(loaded, skipped);
    }
}
