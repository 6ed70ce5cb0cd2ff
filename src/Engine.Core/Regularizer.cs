namespace Engine.Core;

/// <summary>
/// Weight penalties added to a loss, per parameter group (<see cref="RegularizationGroup"/>). A
/// parameter takes the first group whose pattern matches its name, and none if no pattern does;
/// frozen parameters are skipped (they do not change, so their penalty is a constant). Everything is
/// computed with backend ops; each selected parameter gets a scratch tensor of its size, kept for
/// reuse, so the steady state allocates nothing.
/// </summary>
public sealed class Regularizer : IDisposable
{
    private readonly Dictionary<Parameter, RegularizationGroup?> _assignment = [];
    private readonly Dictionary<Parameter, TensorBuffer> _scratch = [];
    private readonly Dictionary<DataType, TensorBuffer> _partialSums = [];

    /// <summary>Creates the regulariser of <paramref name="groups"/>, tried in order.</summary>
    public Regularizer(IEnumerable<RegularizationGroup> groups)
    {
        Groups = groups.ToList();
    }

    /// <summary>The groups, in the order they are tried.</summary>
    public IReadOnlyList<RegularizationGroup> Groups { get; }

    /// <summary>The group that applies to <paramref name="parameter"/>, if any.</summary>
    public RegularizationGroup? GroupOf(Parameter parameter)
    {
        if (!_assignment.TryGetValue(parameter, out RegularizationGroup? group))
        {
            group = Groups.FirstOrDefault(g => g.Pattern.Matches(parameter.Name));
            _assignment[parameter] = group;
        }
        return group;
    }

    /// <summary>
    /// total[0] += <paramref name="scale"/>·Σ penalties of <paramref name="parameters"/>; total is a
    /// one-element tensor of the parameters' backend and data type.
    /// </summary>
    public void AddPenalty(IReadOnlyList<Parameter> parameters, Tensor total, double scale = 1)
    {
        foreach (Parameter p in parameters)
        {
            if (p.Frozen || GroupOf(p) is not { } group)
            {
                continue;
            }
            IBackend backend = p.Value.Backend;
            Tensor scratch = Scratch(p);
            Tensor partial = PartialSum(backend, p.Value.DataType);
            if (group.L1 > 0)
            {
                backend.Unary(UnaryOp.Abs, p.Value, scratch);
                backend.Sum(scratch, partial);
                backend.Axpby(scale * group.L1, partial, 1, total);
            }
            if (group.L2 > 0)
            {
                backend.Unary(UnaryOp.Square, p.Value, scratch);
                backend.Sum(scratch, partial);
                backend.Axpby(scale * group.L2, partial, 1, total);
            }
        }
    }

    /// <summary>
    /// The backend ops <see cref="AddPenalty"/> and <see cref="AddGradients"/> run on parameters of
    /// <paramref name="dataType"/>: |w| and sign(w) for L1 groups, w² for L2 groups, sums and scaled adds.
    /// </summary>
    public IEnumerable<OpDescriptor> RequiredOps(DataType dataType)
    {
        var ops = new List<OpDescriptor> { new(BackendOp.Memory, dataType), new(BackendOp.Sum, dataType), new(BackendOp.Axpby, dataType) };
        if (Groups.Any(g => g.L1 > 0))
        {
            ops.Add(new OpDescriptor(BackendOp.Unary, dataType) { Unary = UnaryOp.Abs });
            ops.Add(new OpDescriptor(BackendOp.Unary, dataType) { Unary = UnaryOp.Sign });
        }
        if (Groups.Any(g => g.L2 > 0))
        {
            ops.Add(new OpDescriptor(BackendOp.Unary, dataType) { Unary = UnaryOp.Square });
        }
        return ops;
    }

    /// <summary>
    /// Adds the penalties' gradients to the parameters' gradients: λ₁·sign(w) + 2λ₂·w. Call after
    /// backward (which overwrites gradients) and before the optimiser step.
    /// </summary>
    public void AddGradients(IReadOnlyList<Parameter> parameters)
    {
        foreach (Parameter p in parameters)
        {
            if (p.Frozen || GroupOf(p) is not { } group)
            {
                continue;
            }
            IBackend backend = p.Value.Backend;
            if (group.L1 > 0)
            {
                Tensor scratch = Scratch(p);
                backend.Unary(UnaryOp.Sign, p.Value, scratch);
                backend.Axpby(group.L1, scratch, 1, p.Gradient);
            }
            if (group.L2 > 0)
            {
                backend.Axpby(2 * group.L2, p.Value, 1, p.Gradient);
            }
        }
    }

    /// <summary>Frees the scratch tensors.</summary>
    public void Dispose()
    {
        foreach (TensorBuffer slot in _scratch.Values.Concat(_partialSums.Values))
        {
            slot.Dispose();
        }
        _scratch.Clear();
        _partialSums.Clear();
        _assignment.Clear();
    }

    private Tensor Scratch(Parameter p)
    {
        if (!_scratch.TryGetValue(p, out TensorBuffer? slot))
        {
            slot = new TensorBuffer();
            _scratch[p] = slot;
        }
        return slot.Get(p.Value.Backend, p.Value.DataType, p.Value.Shape);
    }

    private Tensor PartialSum(IBackend backend, DataType type)
    {
        if (!_partialSums.TryGetValue(type, out TensorBuffer? slot))
        {
            slot = new TensorBuffer();
            _partialSums[type] = slot;
        }
        return slot.Scalar(backend, type);
    }
}
