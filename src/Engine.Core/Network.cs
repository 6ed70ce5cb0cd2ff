namespace Engine.Core;

/// <summary>
/// A sequential network built from a <see cref="ModelSpec"/>: layers created by name, shapes
/// inferred layer by layer, backend capabilities checked, parameters initialised with a per-layer
/// seed derived from one model seed. Owns its layers.
/// </summary>
public sealed class Network : IDisposable
{
    private readonly List<ILayer> _layers;
    private readonly List<Shape> _outputShapes;

    private Network(string name, IBackend backend, Shape inputShape, List<ILayer> layers, List<Shape> outputShapes)
    {
        Name = name;
        Backend = backend;
        InputShape = inputShape;
        _layers = layers;
        _outputShapes = outputShapes;
        Parameters = layers.SelectMany(l => l.Parameters).ToList();
    }

    /// <summary>Model name.</summary>
    public string Name { get; }

    /// <summary>The backend all tensors live on.</summary>
    public IBackend Backend { get; }

    /// <summary>Per-sample input shape.</summary>
    public Shape InputShape { get; }

    /// <summary>Per-sample output shape.</summary>
    public Shape OutputShape => _outputShapes.Count == 0 ? InputShape : _outputShapes[^1];

    /// <summary>Layers in order.</summary>
    public IReadOnlyList<ILayer> Layers => _layers;

    /// <summary>Per-sample output shape of each layer.</summary>
    public IReadOnlyList<Shape> OutputShapes => _outputShapes;

    /// <summary>All learned parameters, layer by layer.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Total number of learned values.</summary>
    public long ParameterCount => Parameters.Sum(p => p.Value.ElementCount);

    /// <summary>Creates, checks and initialises the layers of <paramref name="spec"/>.</summary>
    public static Network Build(ModelSpec spec, ComponentCatalog catalog, IBackend backend, Shape inputShape, ulong seed, DataType dataType = DataType.Float32)
    {
        var layers = new List<ILayer>();
        var shapes = new List<Shape>();
        var perKind = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        try
        {
            Shape shape = inputShape;
            for (int i = 0; i < spec.Layers.Count; i++)
            {
                LayerSpec layerSpec = spec.Layers[i];
                int n = perKind[layerSpec.Kind] = perKind.GetValueOrDefault(layerSpec.Kind) + 1;
                string name = layerSpec.Name ?? $"{layerSpec.Kind}{n}";
                var arguments = new ComponentArguments($"model '{spec.Name}' layer #{i + 1} '{name}' ({layerSpec.Kind})", name, layerSpec.Arguments);
                ILayer layer = catalog.Layer(layerSpec.Kind).Create(arguments);
                layers.Add(layer);
                arguments.ThrowIfUnused();

                var missing = layer.RequiredOps.Where(op => !backend.Supports(op, dataType)).ToList();
                if (missing.Count > 0)
                {
                    throw new BackendException($"layer '{name}' ({layerSpec.Kind}) needs {string.Join(", ", missing)} for {dataType}, which backend '{backend.Name}' does not support");
                }
                Shape output = layer.InferOutputShape(shape);
                layer.Initialize(new LayerContext(backend, shape, CounterRandom.Derive(seed, (ulong)i), dataType));
                shapes.Add(output);
                shape = output;
            }
            return new Network(spec.Name, backend, inputShape, layers, shapes);
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

    /// <summary>Runs the layers in order; the result is owned by the last layer.</summary>
    public Tensor Forward(Tensor input, bool training)
    {
        // Compares spans rather than building a per-sample Shape: this runs every step.
        if (input.Shape.Rank != InputShape.Rank + 1 || !input.Shape.AsSpan()[1..].SequenceEqual(InputShape.AsSpan()))
        {
            throw new ShapeException($"model '{Name}' expects input of shape N×{InputShape}, got {input.Shape}");
        }
        Tensor x = input;
        foreach (ILayer layer in _layers)
        {
            x = layer.Forward(x, training);
        }
        return x;
    }

    /// <summary>Back-propagates d(loss)/d(output) through all layers; returns d(loss)/d(input).</summary>
    public Tensor Backward(Tensor outputGradient)
    {
        Tensor g = outputGradient;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            g = _layers[i].Backward(g);
        }
        return g;
    }

    /// <summary>Disposes every layer (and with them parameters and buffers).</summary>
    public void Dispose()
    {
        foreach (ILayer layer in _layers)
        {
            layer.Dispose();
        }
        _layers.Clear();
    }
}
