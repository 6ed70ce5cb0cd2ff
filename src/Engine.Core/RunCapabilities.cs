namespace Engine.Core;

/// <summary>One op descriptor a run executes, who needs it and the backend that will run it.</summary>
/// <param name="Owner">E.g. <c>layer 'pool1' (max_pool2d)</c>, <c>loss 'softmax-cross-entropy'</c>, <c>trainer</c>.</param>
/// <param name="Op">The descriptor.</param>
/// <param name="Backend">The backend it is checked against.</param>
public readonly record struct PlannedOp(string Owner, OpDescriptor Op, IBackend Backend);

/// <summary>Every op descriptor of a run, each checked against the backend that will run it.</summary>
/// <param name="Backend">The main backend.</param>
/// <param name="Ops">The distinct descriptors, in the order the run meets them.</param>
/// <param name="FallbackLayers">Layers placed on another backend than the main one.</param>
public sealed record RunPlan(IBackend Backend, IReadOnlyList<PlannedOp> Ops, IReadOnlyList<string> FallbackLayers)
{
    /// <summary>For people, e.g. <c>31 op descriptors: 29 on partial, 2 on openblas (fallback for 2 layer(s))</c>.</summary>
    public string Summary =>
        $"{Ops.Count} op descriptors: " + string.Join(", ", Ops.GroupBy(o => o.Backend).Select(g =>
            $"{g.Count()} on {g.Key.Name}" + (g.Key == Backend ? "" : $" (fallback for {FallbackLayers.Count} layer(s))")));
}

/// <summary>
/// The capability check of a whole run, made before its first step: every op descriptor of the
/// network's layers, the loss, the optimiser, the regulariser, gradient clipping and the trainer's
/// own accumulations is checked against the backend that will run it (<see cref="IBackend.Supports"/>).
/// Only a layer may run elsewhere (<see cref="PlaceLayer"/>, called by <see cref="Network.Build"/>);
/// anything else the backend lacks is refused with one line naming the op, its descriptor and the backend.
/// </summary>
public static class RunCapabilities
{
    /// <summary>
    /// The backend that will run a layer needing <paramref name="required"/>: <paramref name="backend"/>
    /// when it supports them all, else <paramref name="fallback"/>'s backend (with one warning), else a
    /// <see cref="BackendException"/> naming the layer, the unsupported descriptors and the backend.
    /// </summary>
    public static IBackend PlaceLayer(string name, string kind, IEnumerable<OpDescriptor> required, IBackend backend, LayerFallback? fallback)
    {
        ArgumentNullException.ThrowIfNull(required);
        ArgumentNullException.ThrowIfNull(backend);
        List<OpDescriptor> ops = required.Distinct().ToList();
        List<OpDescriptor> missing = ops.Where(d => !backend.Supports(d)).ToList();
        if (missing.Count == 0)
        {
            return backend;
        }
        string what = $"layer '{name}' ({kind}): {backend.Name} does not support {string.Join("; ", missing)}";
        if (fallback is null)
        {
            throw new BackendException($"{what} (no fallback backend: --fallback none, or no other backend to fall back to)");
        }
        if (fallback.Backend == backend)
        {
            throw new BackendException($"{what} (the fallback backend is the same backend)");
        }
        List<OpDescriptor> alsoMissing = ops.Where(d => !fallback.Backend.Supports(d)).ToList();
        if (alsoMissing.Count > 0)
        {
            throw new BackendException($"{what}, nor does the fallback backend {fallback.Backend.Name} support {string.Join("; ", alsoMissing)}");
        }
        fallback.Warn?.Invoke($"{what}; running it on {fallback.Backend.Name} with copies each way");
        return fallback.Backend;
    }

    /// <summary>
    /// Checks everything a run executes and returns the plan; throws <see cref="BackendException"/>
    /// at the first descriptor its backend does not support. A null component is not part of the run;
    /// with a loss, the trainer's and evaluator's accumulations (one-hot labels, loss sum, top-k,
    /// confusion) are checked too.
    /// </summary>
    public static RunPlan Check(Network network, ILoss? loss = null, IOptimizer? optimizer = null, Regularizer? regularizer = null, GradientClipping? clipping = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        var ops = new List<PlannedOp>();
        var seen = new HashSet<(OpDescriptor, IBackend)>();
        void Need(string owner, IBackend backend, IEnumerable<OpDescriptor> descriptors)
        {
            foreach (OpDescriptor d in descriptors)
            {
                if (!seen.Add((d, backend)))
                {
                    continue;
                }
                if (!backend.Supports(d))
                {
                    throw new BackendException($"{owner} needs {d}, which backend '{backend.Name}' does not support (only layers can run on a fallback backend)");
                }
                ops.Add(new PlannedOp(owner, d, backend));
            }
        }

        DataType type = network.DataType;
        var fallbackLayers = new List<string>();
        for (int i = 0; i < network.Layers.Count; i++)
        {
            ILayer layer = network.Layers[i];
            Shape[] inputs = network.Inputs[i].Select(s => s < 0 ? network.InputShape : network.OutputShapes[s]).ToArray();
            IBackend placed = network.LayerBackends[i];
            if (placed != network.Backend)
            {
                fallbackLayers.Add(layer.Name);
            }
            Need($"layer '{layer.Name}' ({layer.Kind})", placed, layer.RequiredOps(inputs, type));
        }
        if (loss is not null)
        {
            Need($"loss '{loss.Name}'", network.Backend, loss.RequiredOps(network.OutputShape, type));
            Need("trainer", network.Backend, TrainerOps(type));
        }
        // Parameters live where their layer runs: the optimiser, the regulariser and clipping work there.
        var parameterHomes = network.Parameters.Where(p => !p.Frozen).Select(p => (p.Value.Backend, p.Value.DataType)).Distinct().ToList();
        foreach (var (backend, parameterType) in parameterHomes)
        {
            if (optimizer is not null)
            {
                Need($"optimizer '{optimizer.Name}'", backend, optimizer.RequiredOps(parameterType));
            }
            if (regularizer is not null)
            {
                Need("regularizer", backend, regularizer.RequiredOps(parameterType));
            }
            if (clipping is not null)
            {
                Need($"gradient clipping ({clipping.Description})", backend, ClippingOps(clipping, parameterType));
            }
        }
        RefuseSplitParameters(network, regularizer, clipping);
        return new RunPlan(network.Backend, ops, fallbackLayers);
    }

    // Clipping sums one global norm with one workspace, and the penalty is added to the loss on the
    // main backend: neither crosses backends, so with trainable parameters on a fallback backend they
    // would fail at the first step. Refused here instead, naming the layers.
    private static void RefuseSplitParameters(Network network, Regularizer? regularizer, GradientClipping? clipping)
    {
        string Elsewhere(Func<Parameter, bool> selected) => string.Join(", ", network.Layers
            .Where((layer, i) => network.LayerBackends[i] != network.Backend && layer.Parameters.Any(p => !p.Frozen && selected(p)))
            .Select(layer => $"'{layer.Name}' on {layer.Parameters[0].Value.Backend.Name}"));
        if (clipping is not null && Elsewhere(_ => true) is { Length: > 0 } clipped)
        {
            throw new BackendException($"gradient clipping ({clipping.Description}) needs every trainable parameter on one backend, but fallback layer(s) {clipped} keep theirs off {network.Backend.Name}: not supported with a fallback backend (freeze those layers, or train without clipping)");
        }
        if (regularizer is not null && Elsewhere(p => regularizer.GroupOf(p) is not null) is { Length: > 0 } penalised)
        {
            throw new BackendException($"the regularizer adds its penalty to the loss on {network.Backend.Name}, but fallback layer(s) {penalised} keep their penalised parameters elsewhere: not supported with a fallback backend (leave those parameters out of its groups)");
        }
    }

    /// <summary>What the trainer and evaluator run on the main backend: labels to one-hot rows, the loss sum, top-k and confusion counts, label and metric memory.</summary>
    public static IEnumerable<OpDescriptor> TrainerOps(DataType dataType) =>
    [
        new OpDescriptor(BackendOp.Memory, DataType.Float32),
        new OpDescriptor(BackendOp.Memory, DataType.Int32),
        new OpDescriptor(BackendOp.Memory, DataType.Float64),
        new OpDescriptor(BackendOp.Memory, dataType),
        new OpDescriptor(BackendOp.OneHot, dataType),
        new OpDescriptor(BackendOp.AccumulateLoss, dataType),
        new OpDescriptor(BackendOp.AccumulateTopK, dataType),
        new OpDescriptor(BackendOp.AccumulateConfusion, dataType),
        new OpDescriptor(BackendOp.Binary, dataType) { Binary = BinaryOp.Subtract }, // the evaluator's count of non-finite outputs
    ];

    /// <summary>
    /// What gradient clipping runs on gradients of <paramref name="dataType"/>: by value, element-wise
    /// min and max against the bounds; by norm, a running sum of squares (in float64) and the scaling
    /// to the norm, both on the backend.
    /// </summary>
    public static IEnumerable<OpDescriptor> ClippingOps(GradientClipping clipping, DataType dataType)
    {
        ArgumentNullException.ThrowIfNull(clipping);
        var ops = new List<OpDescriptor> { new(BackendOp.Memory, dataType) };
        if (double.IsFinite(clipping.MaxValue))
        {
            ops.Add(new OpDescriptor(BackendOp.Binary, dataType) { Binary = BinaryOp.Min });
            ops.Add(new OpDescriptor(BackendOp.Binary, dataType) { Binary = BinaryOp.Max });
        }
        if (double.IsFinite(clipping.MaxNorm))
        {
            ops.Add(new OpDescriptor(BackendOp.Memory, DataType.Float64));
            ops.Add(new OpDescriptor(BackendOp.SumOfSquares, dataType));
            ops.Add(new OpDescriptor(BackendOp.ClipToNorm, dataType));
        }
        return ops;
    }
}
