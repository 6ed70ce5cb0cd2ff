namespace Engine.Core;

/// <summary>
/// Moves a network's learned state to and from a <see cref="StateDictionary"/>: every parameter as
/// <c>params/&lt;name&gt;</c> and the state of every layer implementing <see cref="IStatefulComponent"/>
/// (batch-norm running statistics, dropout step counters) under <c>layers/&lt;layer name&gt;/</c>.
/// </summary>
public static class ModelState
{
    /// <summary>Prefix of parameter entries.</summary>
    public const string ParameterPrefix = "params/";

    /// <summary>Prefix of layer-state entries.</summary>
    public const string LayerPrefix = "layers/";

    /// <summary>Prefix of the optimiser's entries.</summary>
    public const string OptimizerPrefix = "optimizer/";

    /// <summary>Copies parameters and layer state to the host, each name preceded by <paramref name="prefix"/>.</summary>
    public static void Save(Network network, StateDictionary state, string prefix = "")
    {
        foreach (Parameter p in network.Parameters)
        {
            state.SetTensor(prefix + ParameterPrefix + p.Name, p.Value);
        }
        foreach (ILayer layer in network.Layers)
        {
            if (layer is IStatefulComponent stateful)
            {
                stateful.SaveState(state, $"{prefix}{LayerPrefix}{layer.Name}/");
            }
        }
    }

    /// <summary>
    /// Restores what <see cref="Save"/> wrote. Every parameter and layer state must be present with
    /// its shape; a problem is a <see cref="DataFormatException"/> naming <paramref name="source"/> (the file) and the entry.
    /// </summary>
    public static void Load(Network network, StateDictionary state, string source, string prefix = "")
    {
        foreach (Parameter p in network.Parameters)
        {
            string name = prefix + ParameterPrefix + p.Name;
            Guard(source, $"model '{network.Name}' parameter '{p.Name}'", () =>
            {
                if (!state.Contains(name))
                {
                    throw new ConfigurationException($"entry '{name}' is missing");
                }
                state.CopyTo(name, p.Value);
            });
        }
        foreach (ILayer layer in network.Layers)
        {
            if (layer is IStatefulComponent stateful)
            {
                Guard(source, $"layer '{layer.Name}'", () => stateful.LoadState(state, $"{prefix}{LayerPrefix}{layer.Name}/"));
            }
        }
    }

    /// <summary>Saves an optimiser's moments and counters when it has any.</summary>
    public static void SaveOptimizer(IOptimizer optimizer, StateDictionary state, string prefix = "")
    {
        if (optimizer is IStatefulComponent stateful)
        {
            stateful.SaveState(state, prefix + OptimizerPrefix);
        }
    }

    /// <summary>Restores what <see cref="SaveOptimizer"/> wrote; errors name <paramref name="source"/>.</summary>
    public static void LoadOptimizer(IOptimizer optimizer, StateDictionary state, string source, string prefix = "")
    {
        if (optimizer is IStatefulComponent stateful)
        {
            Guard(source, $"optimizer '{optimizer.Name}'", () => stateful.LoadState(state, prefix + OptimizerPrefix));
        }
    }

    // Turns the state dictionary's errors into one naming the file and what was being restored.
    internal static void Guard(string source, string what, Action restore)
    {
        try
        {
            restore();
        }
        catch (Exception e) when (e is ConfigurationException or ShapeException or ArgumentException)
        {
            throw new DataFormatException(source, $"cannot restore {what}: {e.Message}", e);
        }
    }
}
