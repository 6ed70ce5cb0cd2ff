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

    // Set on the builder a Repeat block writes into: its references to outer layers are resolved by the outer Repeat.
    private bool _inBlock;

    /// <summary>The input name by which a layer inside a <see cref="Repeat"/> block refers to the block's input (the previous repetition's output).</summary>
    public const string BlockInput = "block_input";

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
    /// Appends <paramref name="times"/> repetitions of a block: <paramref name="block"/> adds the block's
    /// layers to a fresh builder, given the repetition's index (so the first repetition may differ, e.g. a
    /// stride). Layer <c>conv1</c> of repetition i is named <c>{name}.{i}.conv1</c> (an unnamed layer
    /// <c>{name}.{i}.{kind}{position in the block}</c>); inputs naming a layer of the block refer to the same
    /// repetition's, <see cref="BlockInput"/> to the block's input (the layer before the repetition), other
    /// names to earlier named layers of the model. Repetitions chain: each takes the previous one's output.
    /// </summary>
    /// <param name="name">Prefix of the block's layer names, e.g. <c>layer2</c>.</param>
    /// <param name="times">Number of repetitions, ≥ 1.</param>
    /// <param name="block">Adds one repetition's layers; its second argument is the repetition's index.</param>
    /// <param name="start">Index of the first repetition (1 when repetition 0 is written out before).</param>
    public ModelBuilder Repeat(string name, int times, Action<ModelBuilder, int> block, int start = 0)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ConfigurationException($"model '{Name}' layer #{_layers.Count + 1}: a repeated block needs a name");
        }
        if (times < 1 || start < 0)
        {
            throw new ConfigurationException($"model '{Name}' repeat '{name}': {(times < 1 ? $"the count must be ≥ 1, got {times}" : $"the start index must be ≥ 0, got {start}")}");
        }
        for (int index = start; index < start + times; index++)
        {
            string where = $"model '{Name}' repeat '{name}' repetition {index}";
            var inner = new ModelBuilder(Name) { _inBlock = true };
            block(inner, index);
            if (inner._layers.Count == 0 || inner._auxiliary.Count > 0)
            {
                throw new ConfigurationException($"{where}: {(inner._layers.Count == 0 ? "the block adds no layers" : "a block may not mark auxiliary outputs")}");
            }
            var local = new HashSet<string>(inner._layers.Where(l => l.Name is not null).Select(l => l.Name!), StringComparer.Ordinal);
            if (local.Contains(BlockInput))
            {
                throw new ConfigurationException($"{where}: '{BlockInput}' is reserved for the block's input");
            }
            // Before the first layer, or at the top of an enclosing block, the outer level resolves the name.
            string? blockInput = _layers.Count > 0 ? _layers[^1].Name : _inBlock ? BlockInput : LayerSpec.ModelInput;
            for (int k = 0; k < inner._layers.Count; k++)
            {
                LayerSpec layer = inner._layers[k];
                string layerName = $"{name}.{index}.{layer.Name ?? layer.Kind + (k + 1)}";
                string[] inputs = (layer.Inputs ?? []).Select(input =>
                    local.Contains(input) ? $"{name}.{index}.{input}"
                    : input == BlockInput ? blockInput ?? throw new ConfigurationException($"{where} layer '{layerName}': '{BlockInput}' needs the layer before the block to be named")
                    : input == LayerSpec.ModelInput || _inBlock || _names.Contains(input) ? input
                    : throw new ConfigurationException($"{where} layer '{layerName}': input '{input}' is not a layer of the block, '{BlockInput}', or a named layer before it")).ToArray();
                Add(layer.Kind, layer.Arguments, layerName, inputs);
            }
        }
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
