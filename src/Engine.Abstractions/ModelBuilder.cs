using System.Text.Json.Nodes;

namespace Engine;

/// <summary>
/// Builds a <see cref="ModelSpec"/> fluently: each call appends one layer, fed by the previous
/// layer unless it names its inputs. The SDK names no concrete layer: <see cref="Add"/> takes any
/// registered kind, and a layer plugin adds typed helpers as extension methods (the standard
/// layers' <c>Conv2d</c>, <c>Dense</c>, <c>Relu</c>, … are in <c>Engine.Layers.Standard.StandardLayers</c>).
/// <code>
/// ModelSpec tiny = new ModelBuilder("tiny")
///     .Add("flatten").Add("dense", new JsonObject { ["units"] = 10 }, name: "classifier").Build();
/// </code>
/// Branches: name the layer where the graph forks, then pass names as inputs
/// (<c>.Add("add", null, "skip", "c2", "stem")</c>); <see cref="LayerSpec.ModelInput"/> is the model input.
/// </summary>
/// <param name="name">The model's name.</param>
public sealed class ModelBuilder(string name)
{
    private readonly List<LayerSpec> _layers = [];
    private readonly List<AuxiliaryOutput> _auxiliary = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal) { LayerSpec.ModelInput };

    /// <summary>The model's name.</summary>
    public string Name { get; } = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("a model needs a name", nameof(name)) : name;

    /// <summary>Layers appended so far.</summary>
    public int Count => _layers.Count;

    /// <summary>Appends a layer of any registered kind.</summary>
    /// <param name="kind">Registered layer kind, e.g. <c>conv2d</c>.</param>
    /// <param name="arguments">Its arguments (copied); null for none.</param>
    /// <param name="name">Instance name; null lets the network name it kind + index (<c>conv2d1</c>).</param>
    /// <param name="inputs">Earlier layers feeding it, by name; none means the previous layer.</param>
    public ModelBuilder Add(string kind, JsonObject? arguments = null, string? name = null, params string[] inputs)
    {
        if (string.IsNullOrWhiteSpace(kind))
        {
            throw new ArgumentException($"model '{Name}' layer #{_layers.Count + 1}: the kind must not be empty", nameof(kind));
        }
        if (name is not null && !_names.Add(name))
        {
            throw new ConfigurationException($"model '{Name}' layer #{_layers.Count + 1} ({kind}): the name '{name}' is already used (or is reserved for the model input)");
        }
        foreach (string input in inputs)
        {
            // Only explicit names can be checked here; default names are given later by the network.
            if (string.IsNullOrWhiteSpace(input))
            {
                throw new ConfigurationException($"model '{Name}' layer #{_layers.Count + 1} ({kind}): an input name is empty");
            }
        }
        var copy = arguments is null ? null : (JsonObject)arguments.DeepClone();
        _layers.Add(new LayerSpec(kind, copy, name, inputs.Length == 0 ? null : inputs.ToArray()));
        return this;
    }

    /// <summary>
    /// Marks the output of layer <paramref name="layer"/> as an auxiliary output whose loss, times
    /// <paramref name="weight"/>, is added to the training loss (see <see cref="ModelSpec.AuxiliaryOutputs"/>).
    /// </summary>
    public ModelBuilder AuxiliaryOutput(string layer, double weight)
    {
        if (string.IsNullOrWhiteSpace(layer) || !_names.Contains(layer) || layer == LayerSpec.ModelInput)
        {
            throw new ConfigurationException($"model '{Name}': auxiliary output '{layer}' is not a named layer added so far");
        }
        if (!(weight > 0) || double.IsInfinity(weight))
        {
            throw new ConfigurationException($"model '{Name}': auxiliary output '{layer}' needs a positive finite loss weight, got {weight}");
        }
        _auxiliary.Add(new AuxiliaryOutput(layer, weight));
        return this;
    }

    /// <summary>The model built so far (later calls do not change it).</summary>
    public ModelSpec Build() =>
        _layers.Count == 0 ? throw new ConfigurationException($"model '{Name}' has no layers") : new ModelSpec(Name, _layers.ToArray()) { AuxiliaryOutputs = _auxiliary.ToArray() };

    /// <summary>Zero padding of a window layer: an integer for every side, or <see cref="Same"/>.</summary>
    public readonly record struct Padding
    {
        private Padding(int size, bool same)
        {
            Size = size;
            IsSame = same;
        }

        /// <summary>'same' padding: the output keeps the input's spatial size at stride 1.</summary>
        public static Padding Same { get; } = new(0, true);

        /// <summary>Zero padding on every side (when not <see cref="IsSame"/>).</summary>
        public int Size { get; }

        /// <summary>Whether this is 'same' padding.</summary>
        public bool IsSame { get; }

        /// <summary>Padding of <paramref name="size"/> on every side.</summary>
        public static implicit operator Padding(int size) =>
            size >= 0 ? new Padding(size, false) : throw new ArgumentOutOfRangeException(nameof(size), size, "padding must be ≥ 0");
    }
}
