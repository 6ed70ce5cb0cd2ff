namespace Engine.Core;

/// <summary>
/// A network built from a <see cref="ModelSpec"/>: a directed acyclic graph of layers in the order
/// given, each fed by the previous layer or by the earlier layers it names. Layers are created by
/// name, shapes inferred layer by layer, backend capabilities checked, and parameters initialised
/// with a per-layer seed derived from one model seed. The last layer's output is the network's.
/// Owns its layers, the buffers in which gradients of branching outputs are summed, and the
/// activation memory that inference passes share between layers (<see cref="ActivationArena"/>).
/// </summary>
public sealed partial class Network : IDisposable
{
    private const int ModelInput = -1;
    private readonly List<ILayer> _layers;
    private readonly List<Shape> _outputShapes;
    private readonly int[][] _inputs;
    private readonly int[] _consumers;
    private readonly Tensor?[] _outputs;
    private readonly Tensor?[] _gradients;
    private readonly TensorBuffer?[] _gradientSums; // per gradient slot, for outputs read by more than one layer
    private readonly bool[] _summed;
    private readonly bool[] _hasParameters;
    private readonly bool[] _needsGradient; // per gradient slot: whether anything asks for d(loss)/d(that output)
    private readonly Tensor[][] _mergeInputs;
    private readonly IBackend[] _placement; // the backend each layer runs on (the main one unless it fell back)
    private readonly CrossBackendCopy?[][] _inputCopies; // per layer and input: activations crossing backends
    private readonly CrossBackendCopy?[][] _gradientCopies; // per layer and input: their gradients, back
    private readonly CrossBackendCopy? _outputCopy;
    private readonly CrossBackendCopy? _outputGradientCopy;
    private readonly ActivationArena _arena;
    private readonly ActivationArena _trainingArena; // outputs that nothing reads in backward, in training passes
    private readonly bool[] _transient; // per layer: whether its output is such an output
    private readonly GradientArena _gradientArena;
    private readonly int[] _auxiliary; // layer index of each auxiliary output
    private readonly bool[] _feedsMainOutput; // per layer: whether the last layer's output depends on it
    private readonly double[] _auxiliaryWeights;

    private Network(string name, IBackend backend, Shape inputShape, List<ILayer> layers, List<Shape> outputShapes, int[][] inputs, IBackend[] placement, DataType dataType, int[] auxiliary, double[] auxiliaryWeights)
    {
        _auxiliary = auxiliary;
        _auxiliaryWeights = auxiliaryWeights;
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
        foreach (int layer in auxiliary)
        {
            _consumers[layer + 1]++; // its loss reads it: a gradient slot that also has layer readers sums
        }
        _outputs = new Tensor?[layers.Count];
        _gradients = new Tensor?[layers.Count + 1];
        _gradientSums = new TensorBuffer?[layers.Count + 1];
        _summed = new bool[layers.Count + 1];
        _hasParameters = layers.Select(l => l.Parameters.Count > 0).ToArray();
        _needsGradient = new bool[layers.Count + 1];
        _mergeInputs = inputs.Select(i => new Tensor[i.Length]).ToArray();
        _feedsMainOutput = MainOutputLayers(inputs);
        // Inference runs only the main output's layers: a skipped layer reads nothing, so it holds no activation alive.
        _arena = new ActivationArena(inputs.Select((sources, i) => _feedsMainOutput[i] ? sources : []).ToArray());
        _gradientArena = new GradientArena(layers.Count + 1);
        _trainingArena = new ActivationArena(inputs);
        _transient = TransientOutputs(layers, inputs, placement, backend, auxiliary);
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

    /// <summary>The auxiliary outputs (<see cref="ModelSpec.AuxiliaryOutputs"/>): layer index and loss weight.</summary>
    public IReadOnlyList<(int Layer, double Weight)> AuxiliaryOutputs => _auxiliary.Select((l, k) => (l, _auxiliaryWeights[k])).ToArray();

    /// <summary>Auxiliary output <paramref name="k"/> of the last training forward pass (N × its layer's shape).</summary>
    public Tensor AuxiliaryOutput(int k) =>
        _outputs[_auxiliary[k]] ?? throw new InvalidOperationException($"model '{Name}': auxiliary output {k} exists after a training forward pass only");

    /// <summary>Per-sample output shape of each layer.</summary>
    public IReadOnlyList<Shape> OutputShapes => _outputShapes;

    /// <summary>
    /// Per layer, whether the main (last) output depends on it. Inference passes run only these layers:
    /// the others feed only auxiliary outputs (GoogLeNet's training-only classifiers) or nothing.
    /// </summary>
    public IReadOnlyList<bool> FeedsMainOutput => _feedsMainOutput;

    /// <summary>For each layer, the indices of the layers feeding it (−1: the model input).</summary>
    public IReadOnlyList<IReadOnlyList<int>> Inputs => _inputs;

    /// <summary>All learned parameters, layer by layer.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>
    /// Whether <see cref="Backward(Tensor)"/> computes and returns d(loss)/d(input). Off by default: training
    /// needs only parameter gradients, and the layers that read the model input then skip their
    /// input gradient (a third of the first convolution's backward). Gradient checks turn it on.
    /// </summary>
    public bool ComputeInputGradient { get; set; }

    /// <summary>
    /// Called during <see cref="Backward(Tensor, IReadOnlyList{Tensor})"/> with a layer's index once
    /// that layer's backward has run: layers run from the last to the first, so every parameter
    /// gradient of that layer and of the layers after it is final (data-parallel training starts
    /// summing them over the ranks while backward goes on).
    /// </summary>
    public Action<int>? LayerBackwardDone { get; set; }

    /// <summary>
    /// Called during a forward pass with a layer's index once that layer's output is computed (or
    /// taken from a fused producer); <c>engine bench train --layers</c> clocks the layers of any
    /// graph with it and <see cref="LayerBackwardDone"/>.
    /// </summary>
    public Action<int>? LayerForwardDone { get; set; }

    /// <summary>
    /// Whether training passes share memory between layers: backward passes their input gradients
    /// (<see cref="GradientArena"/>), forward passes the outputs that nothing reads in backward
    /// (<see cref="ILayer.SavedForBackward"/>: a batch norm's output read by a ReLU, which keeps its
    /// own output), and inference passes borrow the idle gradient memory. On by default, or off when
    /// the environment sets <c>ENGINE_SHARED_MEMORY=off</c>; off, every layer keeps its own output and
    /// input-gradient buffers and every output read by several layers its own gradient sum. The
    /// arithmetic is the same either way: only where results are written changes.
    /// </summary>
    public bool ShareTrainingMemory { get; set; } = Environment.GetEnvironmentVariable("ENGINE_SHARED_MEMORY") != "off";

    /// <summary>Bytes of gradient memory that backward passes share between layers.</summary>
    public long SharedGradientBytes => _gradientArena.CapacityBytes;

    /// <summary>Bytes of activation memory that training forward passes share between the layers whose outputs nothing reads in backward.</summary>
    public long SharedTrainingActivationBytes => _trainingArena.CapacityBytes;

    /// <summary>Bytes of activation memory that inference passes share between layers.</summary>
    public long InferenceActivationBytes => _arena.CapacityBytes;

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

                Shape output = LayerSizes.InferOutput(layer, sourceShapes, owner, layerSpec);
                IBackend placed = RunCapabilities.PlaceLayer(name, layerSpec.Kind, layer.RequiredOps(sourceShapes, dataType), backend, fallback);
                LayerSizes.Initialize(layer, new LayerContext(placed, sourceShapes[0], CounterRandom.Derive(seed, (ulong)i), dataType) { InputShapes = sourceShapes }, owner, layerSpec);
                placement.Add(placed);
                shapes.Add(output);
                inputs.Add(sources);
            }
            int[] auxiliary = spec.AuxiliaryOutputs.Select(a => AuxiliaryIndex(spec, a, indexByName, placement, backend)).ToArray();
            return new Network(spec.Name, backend, inputShape, layers, shapes, inputs.ToArray(), placement.ToArray(), dataType, auxiliary, spec.AuxiliaryOutputs.Select(a => a.Weight).ToArray())
            {
                _replicate = () => Build(spec, catalog, backend, inputShape, seed, dataType, fallback), // the batch split's copies
            };
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

    private static int AuxiliaryIndex(ModelSpec spec, AuxiliaryOutput output, Dictionary<string, int> indexByName, List<IBackend> placement, IBackend backend)
    {
        string owner = $"model '{spec.Name}' auxiliary output '{output.Layer}'";
        if (!indexByName.TryGetValue(output.Layer, out int index) || index < 0)
        {
            throw new ConfigurationException($"{owner}: no layer has that name");
        }
        if (index == spec.Layers.Count - 1)
        {
            throw new ConfigurationException($"{owner}: the last layer is the main output, not an auxiliary one");
        }
        if (!(output.Weight > 0) || double.IsInfinity(output.Weight))
        {
            throw new ConfigurationException($"{owner}: the loss weight must be positive and finite, got {output.Weight}");
        }
        if (placement[index] != backend)
        {
            throw new ConfigurationException($"{owner}: the layer runs on a fallback backend; auxiliary outputs must run on the main one");
        }
        return index;
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

    // The layers whose output lives only through the forward pass: the layer does not read it in
    // backward, nor does any reader of it (all on the main backend: no copies), and it is neither the
    // network's output nor an auxiliary one (the loss reads those).
    private static bool[] TransientOutputs(List<ILayer> layers, int[][] inputs, IBackend[] placement, IBackend backend, int[] auxiliary)
    {
        var transient = new bool[layers.Count];
        for (int i = 0; i < layers.Count - 1; i++)
        {
            transient[i] = (layers[i].SavedForBackward & SavedForBackward.Output) == 0 && placement[i] == backend && !auxiliary.Contains(i);
        }
        for (int k = 0; k < layers.Count; k++)
        {
            bool keepsInput = (layers[k].SavedForBackward & SavedForBackward.Input) != 0 || placement[k] != backend;
            foreach (int source in inputs[k])
            {
                if (source >= 0 && keepsInput)
                {
                    transient[source] = false;
                }
            }
        }
        return transient;
    }

    // Walks back from the last layer through the inputs: the layers the main output depends on.
    private static bool[] MainOutputLayers(int[][] inputs)
    {
        var main = new bool[inputs.Length];
        if (main.Length > 0)
        {
            main[^1] = true;
        }
        for (int i = main.Length - 1; i >= 0; i--)
        {
            foreach (int source in main[i] ? inputs[i] : [])
            {
                if (source >= 0)
                {
                    main[source] = true;
                }
            }
        }
        return main;
    }

    /// <summary>
    /// Runs the layers in order; the result belongs to the last layer or, in inference, to the
    /// network's shared memory, and is valid until the next call. In inference
    /// (<paramref name="training"/> false) only the layers in <see cref="FeedsMainOutput"/> run
    /// (auxiliary heads are training-only), and they write into shared activation memory: an output's
    /// memory is reused once every layer reading it has run.
    /// </summary>
    public Tensor Forward(Tensor input, bool training) =>
        SplitFor(input, training) is { } split ? split.Forward(input, training) : ForwardWhole(input, training);

    internal Tensor ForwardWhole(Tensor input, bool training)
    {
        // Compares spans rather than building a per-sample Shape: this runs every step.
        if (input.Shape.Rank != InputShape.Rank + 1 || !input.Shape.AsSpan()[1..].SequenceEqual(InputShape.AsSpan()))
        {
            throw new ShapeException($"model '{Name}' expects input of shape N×{InputShape}, got {input.Shape}");
        }
        bool share = ShareTrainingMemory;
        ActivationArena? arena = !training ? _arena : share ? _trainingArena : null;
        if (!training)
        {
            // Between training steps the gradient memory and that of the training passes' transient
            // outputs are idle; not the gradient memory when the input gradient of the last backward
            // pass (which lives there) is still to be read.
            _arena.Begin(Backend, input.DataType, share && !ComputeInputGradient ? _gradientArena.Buffers : [], share ? _trainingArena.OwnBuffers : []);
        }
        else
        {
            arena?.Begin(Backend, input.DataType, [], []);
        }
        InferenceFusion? fusion = !training && FuseInference ? Fusion : null;
        TrainingFusion? pairs = training && FuseTraining ? TrainingPairs : null; // Network.Fusion.cs
        if (training)
        {
            _backwardPairs = pairs; // what the next backward pass must match, whatever FuseTraining is then
        }
        for (int i = 0; i < _layers.Count; i++)
        {
            if (!training && !_feedsMainOutput[i])
            {
                _outputs[i] = null; // not computed: AuxiliaryOutput refuses rather than return an older pass's
                continue;
            }
            if (fusion?.FusedInto(i) is int producer and >= 0)
            {
                _outputs[i] = _outputs[producer]; // computed by the producer's epilogue (Network.Fusion.cs)
                arena!.Completed(i, _outputs[i]!);
                continue;
            }
            if (pairs?.FusedInto(i) is int pair and >= 0)
            {
                _outputs[i] = _outputs[pair]; // computed with its producer, which keeps it for this layer's backward
                arena?.Completed(i, _outputs[i]!);
                LayerForwardDone?.Invoke(i);
                LayerProbe?.Invoke(i);
                continue;
            }
            // A fused pair's producer writes the activation layer's output, which backward reads: its own memory.
            bool offered = arena is not null && (!training || (_transient[i] && pairs?.Starts(i) != true));
            if (offered)
            {
                _layers[i].OfferInferenceOutput(arena!.Offer(_outputShapes[i].ElementCount * input.Shape[0] * input.DataType.SizeInBytes()));
            }
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
            else if (fusion?.Starts(i) == true)
            {
                // A chain that adds a residual block's shortcut reads it as the sum would (Network.Fusion.cs).
                Tensor? residual = fusion.Residual(i) is (int sum, int k) ? LayerInput(sum, k, input) : null;
                _outputs[i] = fusion.Forward(i, LayerInput(i, 0, input), residual);
            }
            else if (pairs?.Starts(i) == true)
            {
                _outputs[i] = pairs.Forward(_layers, i, LayerInput(i, 0, input));
            }
            else
            {
                _outputs[i] = _layers[i].Forward(LayerInput(i, 0, input), training);
            }
            if (offered)
            {
                _layers[i].OfferInferenceOutput(null);
            }
            arena?.Completed(i, _outputs[i]!);
            LayerForwardDone?.Invoke(i);
            LayerProbe?.Invoke(i);
        }
        if (_layers.Count == 0)
        {
            return input;
        }
        return _outputCopy is null ? _outputs[^1]! : _outputCopy.Copy(_outputs[^1]!, Backend);
    }

    /// <summary>
    /// Back-propagates d(loss)/d(output) through all layers, writing every parameter gradient, and
    /// returns d(loss)/d(input) when <see cref="ComputeInputGradient"/> is on (null otherwise). Where an
    /// output feeds several layers, their gradients are summed in a buffer the network owns. Layers
    /// whose input gradient nobody needs are told so, and a layer without parameters whose input
    /// gradient nobody needs is skipped.
    /// </summary>
    public Tensor? Backward(Tensor outputGradient) => Backward(outputGradient, []);

    /// <summary>
    /// As <see cref="Backward(Tensor)"/>, with d(loss_k)/d(auxiliary output k) for each auxiliary
    /// output (in <see cref="AuxiliaryOutputs"/> order): each is multiplied by its weight and summed
    /// into the gradient of its layer's output, so the parameter gradients are those of
    /// main loss + Σ weight_k · loss_k. The tensors are read before this returns.
    /// </summary>
    public Tensor? Backward(Tensor outputGradient, IReadOnlyList<Tensor> auxiliaryGradients)
    {
        ArgumentNullException.ThrowIfNull(outputGradient);
        ArgumentNullException.ThrowIfNull(auxiliaryGradients);
        if (_split is { } split && split.SplitBackward(outputGradient))
        {
            RefuseSplitBackward(auxiliaryGradients.Count);
            split.Backward(outputGradient);
            return null;
        }
        return BackwardWhole(outputGradient, auxiliaryGradients);
    }

    internal Tensor? BackwardWhole(Tensor outputGradient, IReadOnlyList<Tensor> auxiliaryGradients)
    {
        if (auxiliaryGradients.Count != 0 && auxiliaryGradients.Count != _auxiliary.Length)
        {
            throw new ArgumentException($"model '{Name}' has {_auxiliary.Length} auxiliary outputs, got {auxiliaryGradients.Count} gradients", nameof(auxiliaryGradients));
        }
        if (_layers.Count == 0)
        {
            return ComputeInputGradient ? outputGradient : null;
        }
        Array.Clear(_gradients);
        Array.Clear(_summed);
        MarkGradientsNeeded();
        bool share = ShareTrainingMemory;
        if (share)
        {
            _gradientArena.Begin(Backend, DataType);
        }
        _gradients[_layers.Count] = _outputGradientCopy is null ? outputGradient : _outputGradientCopy.Copy(outputGradient, _placement[^1]);
        for (int k = 0; k < auxiliaryGradients.Count; k++)
        {
            AccumulateAuxiliary(_auxiliary[k], _auxiliaryWeights[k], auxiliaryGradients[k]);
        }
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            Tensor? g = _gradients[i + 1];
            if (g is null)
            {
                continue; // this layer's output reaches the loss through no path
            }
            int[] sources = _inputs[i];
            bool needInputGradient = false;
            foreach (int source in sources)
            {
                needInputGradient |= _needsGradient[source + 1];
            }
            if (!needInputGradient && !_hasParameters[i])
            {
                if (share)
                {
                    _gradientArena.Release(i + 1);
                }
                continue;
            }
            if (_backwardPairs?.PassesGradient(i) == true)
            {
                // Its producer, the only reader of this gradient, applies the activation's derivative:
                // the gradient passes on as it is (held for the producer's slot before this one is freed).
                if (needInputGradient)
                {
                    Accumulate(sources[0], g);
                }
                if (share)
                {
                    _gradientArena.Release(i + 1);
                }
                LayerBackwardDone?.Invoke(i);
                continue;
            }
            if (share && needInputGradient)
            {
                _layers[i].OfferInputGradient(_gradientArena.Offer());
            }
            if (_layers[i] is IMergeLayer merge && sources.Length > 1)
            {
                IReadOnlyList<Tensor> perInput = merge.BackwardAll(g);
                for (int k = 0; k < sources.Length; k++)
                {
                    if (_needsGradient[sources[k] + 1])
                    {
                        Accumulate(sources[k], ToSource(i, k, perInput[k]));
                    }
                }
            }
            else
            {
                Tensor? dx = _layers[i].Backward(g, needInputGradient);
                if (needInputGradient)
                {
                    Accumulate(sources[0], ToSource(i, 0, dx ?? throw new InvalidOperationException($"layer '{_layers[i].Name}' ({_layers[i].Kind}) returned no input gradient although one was needed")));
                }
            }
            if (share)
            {
                // The input gradients are in their slots now (held), so this layer's output gradient,
                // read for the last time, and the buffer it was offered can serve the layers before it.
                _layers[i].OfferInputGradient(null);
                _gradientArena.Release(i + 1);
                _gradientArena.Settle();
            }
            LayerBackwardDone?.Invoke(i);
        }
        if (!ComputeInputGradient)
        {
            return null;
        }
        return _gradients[0] ?? throw new InvalidOperationException($"model '{Name}': the input does not reach the output");
    }

    // Slot 0 (the model input) needs a gradient when asked for; a layer's output (slot i + 1) needs one
    // when the layer has parameters or reads something that needs one. Recomputed per pass because
    // ComputeInputGradient may change; it is a walk over a bool per layer.
    private void MarkGradientsNeeded()
    {
        _needsGradient[0] = ComputeInputGradient;
        for (int i = 0; i < _layers.Count; i++)
        {
            bool needed = _hasParameters[i];
            foreach (int source in _inputs[i])
            {
                needed |= _needsGradient[source + 1];
            }
            _needsGradient[i + 1] = needed;
        }
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
    // takes that layer's gradient tensor as it is; one read by several sums into a buffer: the
    // shared gradient memory's when the source runs on the main backend, else the slot's own.
    private void Accumulate(int source, Tensor gradient)
    {
        int slot = source + 1;
        bool share = ShareTrainingMemory;
        if (_consumers[slot] == 1)
        {
            _gradients[slot] = gradient;
            if (share)
            {
                _gradientArena.Hold(slot, gradient);
            }
            return;
        }
        if (!_summed[slot])
        {
            bool shared = share && BackendOf(source) == Backend && gradient.DataType == DataType;
            Tensor sum = shared ? _gradientArena.OfferSum().Like(gradient) : (_gradientSums[slot] ??= new TensorBuffer()).Like(gradient);
            if (shared)
            {
                _gradientArena.Hold(slot, sum);
            }
            BackendOf(source).Copy(gradient, sum);
            _gradients[slot] = sum;
            _summed[slot] = true;
        }
        else
        {
            BackendOf(source).Axpby(1, gradient, 1, _gradients[slot]!);
        }
    }

    // An auxiliary loss's gradient enters its layer's slot scaled by its weight. The slot always sums
    // (the loss counts as a reader), so it is copied into the network's buffer before any layer reads it.
    private void AccumulateAuxiliary(int layer, double weight, Tensor gradient)
    {
        int slot = layer + 1;
        IBackend backend = _placement[layer];
        Tensor sum = (_gradientSums[slot] ??= new TensorBuffer()).Like(gradient);
        backend.Copy(gradient, sum);
        backend.Axpby(0, gradient, weight, sum); // sum = weight · gradient
        _gradients[slot] = sum;
        _summed[slot] = true;
    }

    /// <summary>Disposes every layer (and with them parameters and buffers), the gradient sums and the activation memory.</summary>
    public void Dispose()
    {
        foreach (ILayer layer in _layers)
        {
            layer.Dispose();
        }
        _layers.Clear();
        foreach (TensorBuffer? sum in _gradientSums)
        {
            sum?.Dispose();
        }
        foreach (CrossBackendCopy? copy in _inputCopies.Concat(_gradientCopies).SelectMany(row => row).Append(_outputCopy).Append(_outputGradientCopy))
        {
            copy?.Dispose();
        }
        _arena.Dispose();
        _split?.Dispose();
        _fusion?.Dispose();
        _trainingArena.Dispose();
        _gradientArena.Dispose();
    }
}
