namespace Engine.Core;

/// <summary>
/// Lookahead (Zhang et al., 2019) around any inner optimiser: the inner one moves the "fast"
/// weights θ every step; every k-th step the slow weights φ move towards them,
/// φ ← φ + α·(θ − φ), and θ restarts from φ. φ starts as θ before the first step. Ranger is
/// Lookahead around RAdam. State: <c>{prefix}step</c>, <c>{prefix}{parameter}.slow</c>, and the inner
/// optimiser's state under <c>{prefix}inner.</c>. The learning rate is the inner optimiser's.
/// </summary>
public sealed class LookaheadOptimizer : IOptimizer, IStatefulComponent
{
    private const string SlowSuffix = ".slow";
    private readonly IOptimizer _inner;
    private readonly int _k;
    private readonly double _alpha;
    private readonly Dictionary<string, Tensor> _slow = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _pendingNames = new(StringComparer.Ordinal);
    private StateDictionary? _pending;
    private string _pendingPrefix = "";
    private long _step;

    /// <summary>Wraps <paramref name="inner"/>, which this optimiser then owns and disposes.</summary>
    /// <param name="inner">The optimiser of the fast weights.</param>
    /// <param name="k">Inner steps per slow update (≥ 1).</param>
    /// <param name="alpha">Slow step size α in [0, 1].</param>
    /// <param name="name">Registered name (<c>lookahead</c>, or <c>ranger</c>).</param>
    public LookaheadOptimizer(IOptimizer inner, int k = 5, double alpha = 0.5, string name = "lookahead")
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (k < 1)
        {
            throw new ConfigurationException($"optimizer '{name}': k is {k}; it must be >= 1");
        }
        if (!(alpha is >= 0 and <= 1))
        {
            throw new ConfigurationException($"optimizer '{name}': alpha is {alpha}; it must be in [0, 1]");
        }
        _inner = inner;
        _k = k;
        _alpha = alpha;
        Name = name;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IEnumerable<OpDescriptor> RequiredOps(DataType dataType) =>
        _inner.RequiredOps(dataType).Append(new OpDescriptor(BackendOp.Axpby, dataType));

    /// <summary>The inner optimiser's rate.</summary>
    public double LearningRate
    {
        get => _inner.LearningRate;
        set => _inner.LearningRate = value;
    }

    /// <summary>The optimiser of the fast weights.</summary>
    public IOptimizer Inner => _inner;

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        for (int i = 0; i < parameters.Count; i++) // indexing: foreach over the interface would allocate an enumerator
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                _ = SlowOf(p);
            }
        }
        _inner.Step(parameters);
        _step++;
        if (_step % _k != 0)
        {
            return;
        }
        for (int i = 0; i < parameters.Count; i++) // indexing: foreach over the interface would allocate an enumerator
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                Tensor slow = _slow[p.Name];
                IBackend backend = p.Value.Backend;
                backend.Axpby(_alpha, p.Value, 1 - _alpha, slow);
                backend.Copy(slow, p.Value);
            }
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDictionary state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.SetInt64($"{prefix}step", _step);
        foreach (string name in _order)
        {
            state.SetTensor($"{prefix}{name}{SlowSuffix}", _slow[name]);
        }
        foreach (string name in _pendingNames)
        {
            state.Set($"{prefix}{name}{SlowSuffix}", _pending![$"{_pendingPrefix}{name}{SlowSuffix}"]);
        }
        (_inner as IStatefulComponent)?.SaveState(state, $"{prefix}inner.");
    }

    /// <inheritdoc/>
    /// <remarks>As <see cref="FusedOptimizer.LoadState"/>: slow weights are restored at each parameter's next step.</remarks>
    public void LoadState(StateDictionary state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _step = state.GetInt64($"{prefix}step");
        string innerPrefix = $"{prefix}inner.";
        _pending = state;
        _pendingPrefix = prefix;
        _pendingNames.Clear();
        foreach (string entry in state.Names)
        {
            if (entry.StartsWith(prefix, StringComparison.Ordinal) && !entry.StartsWith(innerPrefix, StringComparison.Ordinal)
                && entry.EndsWith(SlowSuffix, StringComparison.Ordinal))
            {
                _pendingNames.Add(entry[prefix.Length..^SlowSuffix.Length]);
            }
        }
        foreach (string name in _order.ToList())
        {
            if (!_pendingNames.Contains(name))
            {
                _slow[name].Dispose();
                _slow.Remove(name);
                _order.Remove(name);
            }
            else
            {
                Restore(name, _slow[name]);
            }
        }
        (_inner as IStatefulComponent)?.LoadState(state, innerPrefix);
    }

    /// <summary>Frees the slow weights and the inner optimiser.</summary>
    public void Dispose()
    {
        foreach (Tensor t in _slow.Values)
        {
            t.Dispose();
        }
        _slow.Clear();
        _order.Clear();
        _inner.Dispose();
    }

    private Tensor SlowOf(Parameter p)
    {
        if (_slow.TryGetValue(p.Name, out Tensor? slow))
        {
            if (slow.Shape != p.Value.Shape)
            {
                throw new ShapeException($"optimizer '{Name}': parameter '{p.Name}' is {p.Value.Shape} but its slow weights are {slow.Shape}");
            }
            return slow;
        }
        IBackend backend = p.Value.Backend;
        slow = backend.Allocate(p.Value.Shape, p.Value.DataType);
        backend.Copy(p.Value, slow);
        _slow.Add(p.Name, slow);
        _order.Add(p.Name);
        if (_pendingNames.Contains(p.Name))
        {
            Restore(p.Name, slow);
        }
        return slow;
    }

    private void Restore(string name, Tensor slow)
    {
        _pendingNames.Remove(name);
        try
        {
            _pending!.CopyTo($"{_pendingPrefix}{name}{SlowSuffix}", slow);
        }
        catch (EngineException e)
        {
            throw new ShapeException($"optimizer '{Name}': the saved slow weights of parameter '{name}' do not fit it: {e.Message}");
        }
        if (_pendingNames.Count == 0)
        {
            _pending = null;
        }
    }
}
