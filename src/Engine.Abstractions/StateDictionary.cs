namespace Engine;

/// <summary>
/// Named host-side values that components save into a checkpoint and restore from it: parameter
/// values, running statistics, optimiser moments, step counters. Values are float32, float64 or
/// int64 arrays with a shape; scalars have shape [1]. Names are ordinal and keep insertion order,
/// so a checkpoint file lists them in the order they were added.
/// </summary>
public sealed class StateDictionary
{
    private readonly Dictionary<string, StateEntry> _entries = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Names in insertion order.</summary>
    public IReadOnlyList<string> Names => _order;

    /// <summary>Number of entries.</summary>
    public int Count => _order.Count;

    /// <summary>The entry called <paramref name="name"/>; throws naming it and the names present when absent.</summary>
    public StateEntry this[string name] => _entries.TryGetValue(name, out StateEntry? entry)
        ? entry
        : throw new ConfigurationException($"state '{name}' is missing (the state holds {Count} entries{(Count > 0 ? ", e.g. " + string.Join(", ", _order.Take(5)) : "")})");

    /// <summary>Whether an entry called <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Adds (or replaces) <paramref name="name"/>.</summary>
    public void Set(string name, StateEntry entry)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(entry);
        if (_entries.TryAdd(name, entry))
        {
            _order.Add(name);
        }
        else
        {
            _entries[name] = entry;
        }
    }

    /// <summary>Copies <paramref name="tensor"/> to the host and stores it as <paramref name="name"/>.</summary>
    public void SetTensor(string name, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Array values;
        if (tensor.DataType == DataType.Float64)
        {
            var host = new double[tensor.ElementCount];
            tensor.Backend.CopyToHost<double>(tensor, host);
            values = host;
        }
        else
        {
            var host = new float[tensor.ElementCount];
            tensor.Backend.CopyToHost<float>(tensor, host);
            values = host;
        }
        Set(name, new StateEntry(tensor.Shape, values));
    }

    /// <summary>Stores an integer scalar (a step counter, an epoch).</summary>
    public void SetInt64(string name, long value) => Set(name, new StateEntry(new Shape(1), new[] { value }));

    /// <summary>Stores a floating-point scalar (a learning rate, a best metric).</summary>
    public void SetDouble(string name, double value) => Set(name, new StateEntry(new Shape(1), new[] { value }));

    /// <summary>Reads an integer scalar.</summary>
    public long GetInt64(string name) => this[name].Values is long[] { Length: 1 } v
        ? v[0]
        : throw new ConfigurationException($"state '{name}' is {this[name].Describe()}, not an integer scalar");

    /// <summary>Reads a floating-point scalar.</summary>
    public double GetDouble(string name) => this[name].Values switch
    {
        double[] { Length: 1 } d => d[0],
        float[] { Length: 1 } f => f[0],
        _ => throw new ConfigurationException($"state '{name}' is {this[name].Describe()}, not a floating-point scalar"),
    };

    /// <summary>
    /// Copies entry <paramref name="name"/> into <paramref name="destination"/>; the shapes must be equal
    /// and the element types compatible (float32 ↔ float64 converts).
    /// </summary>
    public void CopyTo(string name, Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        StateEntry entry = this[name];
        if (entry.Shape != destination.Shape)
        {
            throw new ShapeException($"state '{name}' has shape {entry.Shape} but the tensor it restores has shape {destination.Shape}");
        }
        IBackend backend = destination.Backend;
        switch (entry.Values, destination.DataType)
        {
            case (float[] f, DataType.Float32): backend.CopyFromHost<float>(f, destination); break;
            case (double[] d, DataType.Float64): backend.CopyFromHost<double>(d, destination); break;
            case (double[] d, DataType.Float32): backend.CopyFromHost<float>(Array.ConvertAll(d, x => (float)x), destination); break;
            case (float[] f, DataType.Float64): backend.CopyFromHost<double>(Array.ConvertAll(f, x => (double)x), destination); break;
            default: throw new ConfigurationException($"state '{name}' is {entry.Describe()} and cannot restore a {destination.DataType} tensor");
        }
    }
}

/// <summary>One value of a <see cref="StateDictionary"/>.</summary>
public sealed class StateEntry
{
    /// <summary>Wraps <paramref name="values"/> (a float[], double[] or long[] of <paramref name="shape"/>.ElementCount elements).</summary>
    public StateEntry(Shape shape, Array values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values is not (float[] or double[] or long[]))
        {
            throw new ArgumentException($"state values must be float[], double[] or long[], not {values.GetType().Name}");
        }
        if (values.LongLength != shape.ElementCount)
        {
            throw new ArgumentException($"{values.LongLength} values do not fill shape {shape}");
        }
        Shape = shape;
        Values = values;
    }

    /// <summary>Shape of the value.</summary>
    public Shape Shape { get; }

    /// <summary>The elements, row-major: float[], double[] or long[].</summary>
    public Array Values { get; }

    /// <summary>E.g. <c>float32 [6, 1, 5, 5]</c>.</summary>
    public string Describe() => $"{Values switch { float[] => "float32", double[] => "float64", _ => "int64" }} {Shape}";
}

/// <summary>
/// A component (layer, optimiser, schedule) with state beyond its parameters that a checkpoint
/// must hold for a resumed run to continue exactly: running statistics, moments, step counters.
/// </summary>
public interface IStatefulComponent
{
    /// <summary>Adds this component's state to <paramref name="state"/>, every name starting with <paramref name="prefix"/>.</summary>
    void SaveState(StateDictionary state, string prefix);

    /// <summary>Restores what <see cref="SaveState"/> wrote under <paramref name="prefix"/>; throws naming the entry when it is missing or mis-shaped.</summary>
    void LoadState(StateDictionary state, string prefix);
}
