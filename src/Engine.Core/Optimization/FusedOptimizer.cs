namespace Engine.Core;

/// <summary>
/// Base of the optimisers whose update is one <see cref="IBackend.OptimizerUpdate"/> call per
/// parameter. It owns the per-parameter state: up to three tensors (the rule's state1…state3)
/// and a step count, created at the parameter's first step (PyTorch's lazy state), saved and
/// restored under <c>{prefix}{parameter}.step</c> and <c>{prefix}{parameter}.{slot}</c>. Frozen
/// parameters are skipped and get no state. Steps allocate nothing once the state exists.
/// </summary>
public abstract class FusedOptimizer : IOptimizer, IStatefulComponent
{
    private readonly string?[] _slots;
    private readonly Dictionary<string, ParameterState> _states = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly HashSet<string> _pendingNames = new(StringComparer.Ordinal);
    private StateDictionary? _pending;
    private string _pendingPrefix = "";

    /// <summary>Creates the optimiser.</summary>
    /// <param name="name">Registered name (for <see cref="Name"/> and errors).</param>
    /// <param name="rule">The backend rule each step runs.</param>
    /// <param name="learningRate">Initial learning rate.</param>
    /// <param name="slots">Names of state1…state3 (at most three; null for a state this configuration does not use).</param>
    protected FusedOptimizer(string name, UpdateRule rule, double learningRate, params string?[] slots)
    {
        if (slots.Length > 3)
        {
            throw new ArgumentException("an update rule has at most three state tensors", nameof(slots));
        }
        if (!double.IsFinite(learningRate) || learningRate < 0)
        {
            throw new ConfigurationException($"optimizer '{name}': learning rate {learningRate} must be finite and >= 0");
        }
        Name = name;
        Rule = rule;
        LearningRate = learningRate;
        _slots = [.. slots, .. Enumerable.Repeat<string?>(null, 3 - slots.Length)];
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IEnumerable<OpDescriptor> RequiredOps(DataType dataType) =>
        [new OpDescriptor(BackendOp.OptimizerUpdate, dataType) { Rule = Rule }, new OpDescriptor(BackendOp.Memory, dataType)];

    /// <inheritdoc/>
    public double LearningRate { get; set; }

    /// <summary>The rule this optimiser runs.</summary>
    protected UpdateRule Rule { get; }

    /// <summary>The hyperparameters of a parameter's 1-based step <paramref name="step"/> (bias corrections and decays depend on it).</summary>
    protected abstract UpdateHyperparameters HyperparametersAt(long step);

    /// <summary>Initial value of state slot <paramref name="slot"/> (0-based); zero unless a rule says otherwise.</summary>
    protected virtual double InitialValue(int slot) => 0;

    /// <inheritdoc/>
    public void Step(IReadOnlyList<Parameter> parameters)
    {
        for (int i = 0; i < parameters.Count; i++) // indexing: foreach over the interface would allocate an enumerator
        {
            Parameter p = parameters[i];
            if (p.Frozen)
            {
                continue;
            }
            ParameterState state = StateOf(p);
            state.Step++;
            UpdateHyperparameters h = HyperparametersAt(state.Step);
            p.Value.Backend.OptimizerUpdate(Rule, h, p.Value, p.Gradient, state.Slots[0], state.Slots[1], state.Slots[2]);
        }
    }

    /// <inheritdoc/>
    public void SaveState(StateDictionary state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (string name in _order)
        {
            ParameterState s = _states[name];
            state.SetInt64($"{prefix}{name}.step", s.Step);
            for (int k = 0; k < 3; k++)
            {
                if (_slots[k] is { } slot)
                {
                    state.SetTensor($"{prefix}{name}.{slot}", s.Slots[k]!);
                }
            }
        }
        // Loaded but not yet applied (no step since LoadState): pass it through unchanged.
        foreach (string name in _pendingNames)
        {
            state.Set($"{prefix}{name}.step", _pending![$"{_pendingPrefix}{name}.step"]);
            foreach (string slot in _slots.OfType<string>())
            {
                state.Set($"{prefix}{name}.{slot}", _pending[$"{_pendingPrefix}{name}.{slot}"]);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Parameters are known only at the first step, so the entries are checked for presence now and
    /// copied (with their shapes checked) when each parameter next steps. A parameter that has state
    /// here but none in <paramref name="state"/> had not stepped when it was saved: its state is dropped.
    /// </remarks>
    public void LoadState(StateDictionary state, string prefix)
    {
        ArgumentNullException.ThrowIfNull(state);
        _pending = state;
        _pendingPrefix = prefix;
        _pendingNames.Clear();
        foreach (string entry in state.Names)
        {
            if (entry.StartsWith(prefix, StringComparison.Ordinal) && entry.EndsWith(".step", StringComparison.Ordinal))
            {
                string parameter = entry[prefix.Length..^".step".Length];
                _ = state.GetInt64(entry);
                foreach (string slot in _slots.OfType<string>())
                {
                    _ = state[$"{prefix}{parameter}.{slot}"]; // throws naming the missing entry
                }
                _pendingNames.Add(parameter);
            }
        }
        foreach (string name in _order.ToList())
        {
            if (!_pendingNames.Contains(name))
            {
                _states[name].Dispose();
                _states.Remove(name);
                _order.Remove(name);
            }
        }
        foreach (string name in _order)
        {
            ParameterState s = _states[name];
            Restore(name, s);
        }
    }

    /// <summary>Frees every state tensor.</summary>
    public void Dispose()
    {
        foreach (ParameterState s in _states.Values)
        {
            s.Dispose();
        }
        _states.Clear();
        _order.Clear();
        GC.SuppressFinalize(this);
    }

    private ParameterState StateOf(Parameter p)
    {
        if (_states.TryGetValue(p.Name, out ParameterState? state))
        {
            if (state.Shape != p.Value.Shape)
            {
                throw new ShapeException($"optimizer '{Name}': parameter '{p.Name}' is {p.Value.Shape} but its optimiser state is {state.Shape}");
            }
            return state;
        }
        IBackend backend = p.Value.Backend;
        var slots = new Tensor?[3];
        for (int k = 0; k < 3; k++)
        {
            if (_slots[k] is not null)
            {
                slots[k] = backend.Allocate(p.Value.Shape, p.Value.DataType);
                backend.Fill(slots[k]!, InitialValue(k));
            }
        }
        state = new ParameterState(p.Value.Shape, slots);
        _states.Add(p.Name, state);
        _order.Add(p.Name);
        if (_pendingNames.Contains(p.Name))
        {
            Restore(p.Name, state);
        }
        return state;
    }

    private void Restore(string name, ParameterState state)
    {
        string prefix = _pendingPrefix;
        _pendingNames.Remove(name);
        try
        {
            state.Step = _pending!.GetInt64($"{prefix}{name}.step");
            for (int k = 0; k < 3; k++)
            {
                if (_slots[k] is { } slot)
                {
                    _pending.CopyTo($"{prefix}{name}.{slot}", state.Slots[k]!);
                }
            }
        }
        catch (EngineException e)
        {
            throw new ShapeException($"optimizer '{Name}': the saved state of parameter '{name}' does not fit it: {e.Message}");
        }
        if (_pendingNames.Count == 0)
        {
            _pending = null;
        }
    }

    /// <summary>One parameter's state tensors and step count.</summary>
    private sealed class ParameterState(Shape shape, Tensor?[] slots) : IDisposable
    {
        public Shape Shape { get; } = shape;

        public Tensor?[] Slots { get; } = slots;

        public long Step { get; set; }

        public void Dispose()
        {
            foreach (Tensor? t in Slots)
            {
                t?.Dispose();
            }
        }
    }
}
