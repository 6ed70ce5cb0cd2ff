using System.Text.Json.Nodes;

namespace Engine;

/// <summary>
/// Builds a <see cref="ModelSpec"/> fluently: each call appends one layer, fed by the previous
/// layer unless it names its inputs. The typed helpers write only the arguments that differ from
/// the layer's defaults, so a built spec reads like a hand-written JSON model file.
/// <code>
/// ModelSpec lenet = new ModelBuilder("lenet5")
///     .Conv2d(6, 5, padding: 2, name: "conv1").Relu().MaxPool2d(2)
///     .Flatten().Dense(10, name: "classifier").Build();
/// </code>
/// Branches: name the layer where the graph forks, then pass names as inputs
/// (<c>.Add("skip", "c2", "stem")</c>); <see cref="LayerSpec.ModelInput"/> is the model input.
/// </summary>
/// <param name="name">The model's name.</param>
public sealed class ModelBuilder(string name)
{
    private readonly List<LayerSpec> _layers = [];
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

    /// <summary>A 2-D convolution with square kernel, stride and dilation.</summary>
    public ModelBuilder Conv2d(int filters, int kernel, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1, bool bias = true, string? name = null, params string[] inputs)
    {
        var args = new JsonObject { ["filters"] = filters, ["kernel"] = kernel };
        Optional(args, "stride", stride, 1);
        if (padding.IsSame)
        {
            args["padding"] = "same";
        }
        else
        {
            Optional(args, "padding", padding.Size, 0);
        }
        Optional(args, "dilation", dilation, 1);
        Optional(args, "groups", groups, 1);
        if (!bias)
        {
            args["bias"] = false;
        }
        return Add("conv2d", args, name, inputs);
    }

    /// <summary>A fully connected layer.</summary>
    public ModelBuilder Dense(int units, bool bias = true, string? name = null, params string[] inputs)
    {
        var args = new JsonObject { ["units"] = units };
        if (!bias)
        {
            args["bias"] = false;
        }
        return Add("dense", args, name, inputs);
    }

    /// <summary>ReLU.</summary>
    public ModelBuilder Relu(string? name = null, params string[] inputs) => Add("relu", null, name, inputs);

    /// <summary>Any element-wise activation without arguments (<c>sigmoid</c>, <c>tanh</c>, <c>softmax</c>, …).</summary>
    public ModelBuilder Activation(string kind, string? name = null, params string[] inputs) => Add(kind, null, name, inputs);

    /// <summary>2-D max pooling; the stride defaults to the window.</summary>
    public ModelBuilder MaxPool2d(int pool, int? stride = null, Padding padding = default, string? name = null, params string[] inputs) =>
        Add("max_pool2d", PoolArguments(pool, stride, padding), name, inputs);

    /// <summary>2-D average pooling; the stride defaults to the window.</summary>
    public ModelBuilder AvgPool2d(int pool, int? stride = null, Padding padding = default, string? name = null, params string[] inputs) =>
        Add("avg_pool2d", PoolArguments(pool, stride, padding), name, inputs);

    /// <summary>Global average pooling, N×C×spatial → N×C.</summary>
    public ModelBuilder GlobalAvgPool(string? name = null, params string[] inputs) => Add("global_avg_pool", null, name, inputs);

    /// <summary>Batch normalisation per channel; null keeps the layer's default momentum (0.1) and epsilon (1e-5).</summary>
    public ModelBuilder BatchNorm(double? momentum = null, double? epsilon = null, string? name = null, params string[] inputs)
    {
        var args = new JsonObject();
        if (momentum is double m)
        {
            args["momentum"] = m;
        }
        if (epsilon is double e)
        {
            args["epsilon"] = e;
        }
        return Add("batch_norm", args.Count == 0 ? null : args, name, inputs);
    }

    /// <summary>Inverted dropout with drop probability <paramref name="rate"/>.</summary>
    public ModelBuilder Dropout(double rate = 0.5, string? name = null, params string[] inputs) =>
        Add("dropout", new JsonObject { ["rate"] = rate }, name, inputs);

    /// <summary>Reshapes N×C×H×W to N×(C·H·W).</summary>
    public ModelBuilder Flatten(string? name = null, params string[] inputs) => Add("flatten", null, name, inputs);

    /// <summary>Element-wise sum of two or more earlier layers (a ResNet skip connection).</summary>
    public ModelBuilder Sum(string? name, params string[] inputs) => Merge("add", name, inputs);

    /// <summary>Concatenation along channels of two or more earlier layers (Inception branches).</summary>
    public ModelBuilder Concat(string? name, params string[] inputs) => Merge("concat", name, inputs);

    /// <summary>The model built so far (later calls do not change it).</summary>
    public ModelSpec Build() =>
        _layers.Count == 0 ? throw new ConfigurationException($"model '{Name}' has no layers") : new ModelSpec(Name, _layers.ToArray());

    private ModelBuilder Merge(string kind, string? name, string[] inputs) =>
        inputs.Length < 2
            ? throw new ConfigurationException($"model '{Name}' layer #{_layers.Count + 1} ({kind}): needs at least two inputs, got {inputs.Length}")
            : Add(kind, null, name, inputs);

    private static JsonObject PoolArguments(int pool, int? stride, Padding padding)
    {
        var args = new JsonObject { ["pool"] = pool };
        if (stride is int s && s != pool)
        {
            args["stride"] = s;
        }
        if (padding.IsSame)
        {
            args["padding"] = "same";
        }
        else
        {
            Optional(args, "padding", padding.Size, 0);
        }
        return args;
    }

    private static void Optional(JsonObject args, string key, int value, int defaultValue)
    {
        if (value != defaultValue)
        {
            args[key] = value;
        }
    }

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
