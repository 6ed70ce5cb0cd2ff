namespace Engine.Core;

/// <summary>
/// A network built from a <see cref="ModelSpec"/>: a directed acyclic graph of layers in the order
/// given, each fed by the previous layer or by the earlier layers it names. Layers are created by
/// name, shapes inferred layer by layer, backend capabilities checked, and parameters initialised
/// with a per-layer seed derived from one model seed. The last layer's output is the network's.
/// Owns its layers and the buffers in which gradients of branching outputs are summed.
/// </summary>
public sealed class Network : IDisposable
{
    private const int ModelInput = -1;
    private readonly List<ILayer> _layers;
    private readonly List<Shape> _outputShapes;
    private readonly int[][] _inputs;
    private readonly int[] _consumers;
    private readonly Tensor?[] _outputs;
    private readonly Tensor?[] _gradients;
    private readonly Tensor?[] _gradientSums; // network-owned, for outputs read by more than one layer
    private readonly bool[] _summed;
    private Tensor? _inputGradientSum;
    private readonly Tensor[][] _mergeInputs;
    private readonly IBackend[] _placement; // the backend each layer runs on (the main one unless it fell back)
    private readonly CrossBackendCopy?[][] _inputCopies; // per layer and input: activations crossing backends
    private readonly CrossBackendCopy?[][] _gradientCopies; // per layer and input: their gradients, back
    private readonly CrossBackendCopy? _outputCopy;
    private readonly CrossBackendCopy? _outputGradientCopy;

    private Network(string name, IBackend backend, Shape inputShape, List<ILayer> layers, List<Shape> outputShapes, int[][] inputs, IBackend[] placement, DataType dataType)
    {
        Name = name;
        Backend = backend;
        DataType = dataType;
        _placement = placement;
        _inputCopies = inputs.Select((sources, i) => sources.Select(s => BackendOf(s) == placement[i] ? null : new CrossBackendCopy()).ToArray()).ToArray();
        _gradientCopies = _inputCopies.Select(row => row.Select(c => c is null ? null : new CrossBackendCopy()).ToArray()).ToArray();
        if (layers.Count > 0 && placement[^1] != backend)
        {
            _outputCopy = new CrossBackendCopy();
            _outputGradientCopy = new CrossBackendCopy();
        }
        InputShape = inputShape;
        _layers = layers;
        _outputShapes = outputShapes;
        _inputs = inputs;
        _consumers = new int[layers.Count + 1]; // index 0 counts the model input
        foreach (int[] sources in inputs)
        {
            foreach (int source in sources)
            {
                _consumers[source + 1]++;
            }
        }
        _outputs = new Tensor?[layers.Count];
        _gradients = new Tensor?[layers.Count + 1];
        _gradientSums = new Tensor?[layers.Count];
        _summed = new bool[layers.Count + 1];
        _mergeInputs = inputs.Select(i => new Tensor[i.Length]).ToArray();
        Parameters = layers.SelectMany(l => l.Parameters).ToList();
    }

    /// <summary>Model name.</summary>
    public string Name { get; }

    /// <summary>The main backend: the network's input and output live on it, and every layer runs on it unless placed on a fallback backend.</summary>
    public IBackend Backend { get; }

    /// <summary>Element type of parameters and activations.</summary>
    public DataType DataType { get; }

    /// <summary>The backend each layer runs on (and its parameters live on): <see cref="Backend"/>, or the fallback one.</summary>
    public IReadOnlyList<IBackend> LayerBackends => _placement;

    /// <summary>How many layers run on a fallback backend (with copies each way).</summary>
    public int FallbackLayerCount => _placement.Count(b => b != Backend);

    /// <summary>Per-sample input shape.</summary>
    public Shape InputShape { get; }

    /// <summary>Per-sample output shape.</summary>
    public Shape OutputShape => _outputShapes.Count == 0 ? InputShape : _outputShapes[^1];

    /// <summary>Layers in order.</summary>
    public IReadOnlyList<ILayer> Layers => _layers;

    /// <summary>Per-sample output shape of each layer.</summary>
    public IReadOnlyList<Shape> OutputShapes => _outputShapes;

    /// <summary>For each layer, the indices of the layers feeding it (−1: the model input).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Inputs => _inputs;

    /// <summary>All learned parameters, layer by layer.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Total number of learned values.</summary>
    public long ParameterCount => Parameters.Sum(p => p.Value.ElementCount);

    /// <summary>
    /// Creates, checks and initialises the layers of <paramref name="spec"/>. A layer whose ops
    /// <paramref name="backend"/> does not support is placed on <paramref name="fallback"/>'s backend
    /// (see <see cref="RunCapabilities.PlaceLayer"/>), or refused without one.
    /// </summary>
    public static Network Build(ModelSpec spec, ComponentCatalog catalog, IBackend backend, Shape inputShape, ulong seed, DataType dataType = DataType.Float32, LayerFallback? fallback = null)
    {
        var layers = new List<ILayer>();
        var placement = new List<IBackend>();
        var shapes = new List<Shape>();
        var inputs = new List<int[]>();
        var indexByName = new Dictionary<string, int>(StringComparer.Ordinal) { [LayerSpec.ModelInput] = ModelInput };
        var perKind = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        try
        {
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                LayerSpec layerSpec = spec.Layers[i];
                int n = perKind[layerSpec.Kind] = perKind.GetValueOrDefault(layerSpec.Kind) + 1;
                string name = layerSpec.Name ?? $"{layerSpec.Kind}{n}";
                string owner = $"model '{spec.Name}' layer #{i + 1} '{name}' ({layerSpec.Kind})";
                if (!indexByName.TryAdd(name, i))
                {
                    throw new ConfigurationException($"{owner}: the name '{name}' is already used by an earlier layer (or is reserved for the model input)");
                }
                int[] sources = ResolveInputs(layerSpec, i, owner, indexByName);
                Shape[] sourceShapes = sources.Select(s => s == ModelInput ? inputShape : shapes[s]).ToArray();

                var arguments = new ComponentArguments(owner, name, layerSpec.Arguments);
                ILayer layer = catalog.Layer(layerSpec.Kind).Create(arguments);
                layers.Add(layer);
                arguments.ThrowIfUnused();
                if (sources.Length > 1 && layer is not IMergeLayer)
                {
                    throw new ConfigurationException($"{owner}: takes one input but {sources.Length} are named ({string.Join(", ", layerSpec.Inputs!)})");
                }

                Shape output = layer is IMergeLayer merge ? merge.InferOutputShape(sourceShapes) : layer.InferOutputShape(sourceShapes[0]);
                IBackend placed = RunCapabilities.PlaceLayer(name, layerSpec.Kind, layer.RequiredOps(sourceShapes, dataType), backend, fallback);
                layer.Initialize(new LayerContext(placed, sourceShapes[0], CounterRandom.Derive(seed, (ulong)i), dataType) { InputShapes = sourceShapes });
                placement.Add(placed);
                shapes.Add(output);
                inputs.Add(sources);
            }
            return new Network(spec.Name, backend, inputShape, layers, shapes, inputs.ToArray(), placement.ToArray(), dataType);
        }
        catch
        {
            foreach (ILayer layer in layers)
            {
                layer.Dispose();
            }
            throw;
        }
    }

    private static int[] ResolveInputs(LayerSpec spec, int index, string owner, Dictionary<string, int> indexByName)
    {
        if (spec.Inputs is null || spec.Inputs.Count == 0)
        {
            return [index - 1]; // the previous layer; for the first layer, −1 is the model input
        }
        return spec.Inputs.Select(input => indexByName.TryGetValue(input, out int source) && source < index
            ? source
            : throw new ConfigurationException($"{owner}: input '{input}' is not an earlier layer; earlier layers: {string.Join(", ", indexByName.Where(kv => kv.Value < index).OrderBy(kv => kv.Value).Select(kv => kv.Key))}"))
            .ToArray();
    }

    /// <summary>Runs the layers in order; the result is owned by the last layer.</summary>
    public Tensor Forward(Tensor input, bool training)
    {
        // Compares spans rather than building a per-sample Shape: this runs every step.
        if (input.Shape.Rank != InputShape.Rank + 1 || !input.Shape.AsSpan()[1..].SequenceEqual(InputShape.AsSpan()))
        {
            throw new ShapeException($"model '{Name}' expects input of shape N×{InputShape}, got {input.Shape}");
        }
        for (int i = 0; i < _layers.Count; i++)
        {
            int[] sources = _inputs[i];
            if (_layers[i] is IMergeLayer merge && sources.Length > 1)
            {
                Tensor[] arguments = _mergeInputs[i];
                for (int k = 0; k < sources.Length; k++)
                {
                    arguments[k] = LayerInput(i, k, input);
                }
                _outputs[i] = merge.Forward(arguments, training);
            }
            else
            {
                _outputs[i] = _layers[i].Forward(LayerInput(i, 0, input), training);
            }
        }
        if (_layers.Count == 0)
        {
            return input;
        }
        return _outputCopy is null ? _outputs[^1]! : _outputCopy.Copy(_outputs[^1]!, Backend);
    }

    /// <summary>
    /// Back-propagates d(loss)/d(output) through all layers and returns d(loss)/d(input). Where an
    /// output feeds several layers, their gradients are summed in a buffer the network owns.
    /// </summary>
    public Tensor Backward(Tensor outputGradient)
    {
        if (_layers.Count == 0)
        {
            return outputGradient;
        }
        Array.Clear(_gradients);
        Array.Clear(_summed);
        _gradients[_layers.Count] = _outputGradientCopy is null ? outputGradient : _outputGradientCopy.Copy(outputGradient, _placement[^1]);
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            Tensor? g = _gradients[i + 1];
            if (g is null)
            {
                continue; // this layer's output reaches the loss through no path
            }
            int[] sources = _inputs[i];
            if (_layers[i] is IMergeLayer merge && sources.Length > 1)
            {
                IReadOnlyList<Tensor> perInput = merge.BackwardAll(g);
                for (int k = 0; k < sources.Length; k++)
                {
                    Accumulate(sources[k], ToSource(i, k, perInput[k]));
                }
            }
            else
            {
                Accumulate(sources[0], ToSource(i, 0, _layers[i].Backward(g)));
            }
        }
        return _gradients[0] ?? throw new InvalidOperationException($"model '{Name}': the input does not reach the output");
    }

    private Tensor Output(int source, Tensor input) => source == ModelInput ? input : _outputs[source]!;

    private IBackend BackendOf(int source) => source == ModelInput ? Backend : _placement[source];

    // Input k of layer i, copied through the host when its producer runs on another backend.
    private Tensor LayerInput(int i, int k, Tensor input)
    {
        Tensor x = Output(_inputs[i][k], input);
        return _inputCopies[i][k] is { } copy ? copy.Copy(x, _placement[i]) : x;
    }

    // The gradient of layer i's input k, copied back to the backend of the layer that produced that input.
    private Tensor ToSource(int i, int k, Tensor gradient) =>
        _gradientCopies[i][k] is { } copy ? copy.Copy(gradient, BackendOf(_inputs[i][k])) : gradient;

    // Gradient slot s + 1 belongs to source s (slot 0: the model input). A source read by one layer
    // takes that layer's gradient tensor as it is; one read by several sums into its own buffer.
    private void Accumulate(int source, Tensor gradient)
    {
        int slot = source + 1;
        if (_consumers[slot] == 1)
        {
            _gradients[slot] = gradient;
            return;
        }
        if (!_summed[slot])
        {
            Tensor sum = SumBuffer(source, gradient);
            BackendOf(source).Copy(gradient, sum);
            _gradients[slot] = sum;
            _summed[slot] = true;
        }
        else
        {
            BackendOf(source).Axpby(1, gradient, 1, _gradients[slot]!);
        }
    }

    private Tensor SumBuffer(int source, Tensor like)
    {
        ref Tensor? buffer = ref source == ModelInput ? ref _inputGradientSum : ref _gradientSums[source];
        if (buffer is null || buffer.Shape != like.Shape || buffer.DataType != like.DataType)
        {
            buffer?.Dispose();
            buffer = BackendOf(source).Allocate(like.Shape, like.DataType);
        }
        return buffer;
    }

    /// <summary>Disposes every layer (and with them parameters and buffers) and the gradient sums.</summary>
    public void Dispose()
    {
        foreach (ILayer layer in _layers)
        {
            layer.Dispose();
        }
        _layers.Clear();
        foreach (Tensor? t in _gradientSums)
        {
            t?.Dispose();
        }
        _inputGradientSum?.Dispose();
        foreach (CrossBackendCopy? copy in _inputCopies.Concat(_gradientCopies).SelectMany(row => row).Append(_outputCopy).Append(_outputGradientCopy))
        {
            copy?.Dispose();
        }
    }
}
