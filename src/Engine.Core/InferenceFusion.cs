namespace Engine.Core;

/// <summary>
/// Which layers an inference pass runs as one: a layer with an epilogue (<see cref="IEpilogueLayer"/>:
/// convolution, dense) followed by a batch normalisation (<see cref="IChannelAffineLayer"/>) and/or an
/// activation (<see cref="IActivationLayer"/>) runs its product and then one
/// <see cref="IBackend.ChannelAffine"/> pass that adds its bias, applies the normalisation with its
/// running statistics and the activation, in its own output memory. The normalisation and activation
/// layers are then skipped; their outputs are that memory. ONNX Runtime folds batch normalisation
/// into the convolution's weights instead; folding it into the epilogue's scale and shift leaves
/// the weights (and so the stored model and training) untouched, costs one multiply per output
/// (an FMA with the shift) and is recomputed from the current statistics before every pass.
/// </summary>
/// <remarks>
/// A link joins two layers only when the first one's output is read by the second alone (no other
/// layer, no auxiliary loss, not the network's output), the second reads nothing else, and both run
/// on the same backend, which supports <see cref="BackendOp.ChannelAffine"/>: the intermediate
/// values are then never observed, so skipping them changes nothing but rounding. A pooling layer
/// (<see cref="IPoolingLayer"/>) linked the same way after the activation joins the chain too, on
/// probation: the producer runs it inside its kernel where the backend can
/// (<see cref="IEpilogueLayer.ForwardWithEpiloguePooled"/>), which <see cref="FusedInto"/> reports per
/// pass; otherwise the pooling layer runs by itself on the chain's output. Likewise a sum
/// (<see cref="ISumLayer"/>, a residual block's join) that is the only reader of the chain's last layer,
/// when the chain has no activation of its own: its other input (the shortcut, computed by a layer before
/// the producer) is added in the producer's epilogue, and the activation after the sum with it
/// (<see cref="IEpilogueLayer.ForwardWithEpilogueResidual"/>), or, where the backend has no such kernel,
/// the sum and that activation run by themselves.
/// </remarks>
internal sealed class InferenceFusion : IDisposable
{
    private readonly Chain?[] _chains; // per layer: the chain it starts (its producer), or null
    private readonly int[] _fusedInto;  // per layer: the producer whose output it is, −1: runs itself
    private readonly int[] _pooledBy;   // per pooling layer: the producer whose chain may run it, −1: none
    private readonly int[] _summedBy;   // per sum and the activation after it: the producer whose chain may run them, −1: none

    private InferenceFusion(Chain?[] chains, int[] fusedInto, int[] pooledBy, int[] summedBy)
    {
        _chains = chains;
        _fusedInto = fusedInto;
        _pooledBy = pooledBy;
        _summedBy = summedBy;
    }

    /// <summary>Layers that run inside another one's epilogue.</summary>
    public int FusedLayerCount => _fusedInto.Count(p => p >= 0);

    /// <summary>
    /// Finds the chains of a network's layers. <paramref name="readers"/> counts, per layer, what
    /// reads its output (layers and auxiliary losses).
    /// </summary>
    public static InferenceFusion Plan(IReadOnlyList<ILayer> layers, IReadOnlyList<int[]> inputs, IReadOnlyList<int> readers,
        IReadOnlyList<bool> feedsMainOutput, IReadOnlyList<IBackend> placement, IReadOnlyList<Shape> outputShapes, DataType dataType)
    {
        var chains = new Chain?[layers.Count];
        var fusedInto = new int[layers.Count];
        Array.Fill(fusedInto, -1);
        var pooledBy = new int[layers.Count];
        Array.Fill(pooledBy, -1);
        var summedBy = new int[layers.Count];
        Array.Fill(summedBy, -1);
        int[] next = FusionLinks.Next(inputs, readers, placement);
        int[] onlyReader = FusionLinks.OnlyReader(inputs, readers);
        int Next(int layer) => next[layer];

        for (int i = 0; i < layers.Count; i++)
        {
            if (layers[i] is not IEpilogueLayer producer || !feedsMainOutput[i] || fusedInto[i] >= 0 || outputShapes[i].Rank < 1
                || !placement[i].Supports(new OpDescriptor(BackendOp.ChannelAffine, dataType) { Shape = outputShapes[i] }))
            {
                continue;
            }
            int link = Next(i), affine = -1, activation = -1;
            if (link >= 0 && layers[link] is IChannelAffineLayer)
            {
                affine = link;
                link = Next(link);
            }
            if (link >= 0 && layers[link] is IActivationLayer act
                && placement[i].Supports(new OpDescriptor(BackendOp.ChannelAffine, dataType) { Shape = outputShapes[i], Activation = act.Activation }))
            {
                activation = link;
            }
            // A sum joins a chain with a normalisation and no activation of its own (a residual block's last
            // BN): without one the chain would be new, and a backend that declines the sum would then take a
            // different path (the epilogue with scale 1) than it did before.
            (int sum, int residual, int sumActivation) = activation < 0 && affine >= 0
                ? FindResidual(layers, inputs, onlyReader[affine >= 0 ? affine : i], affine >= 0 ? affine : i, i, feedsMainOutput, placement, outputShapes, dataType, next)
                : (-1, -1, -1);
            if (affine < 0 && activation < 0)
            {
                continue;
            }
            // The pooling joins only after an activation (whose output then has no other reader).
            int pool = activation >= 0 && Next(activation) is int p and >= 0 && layers[p] is IPoolingLayer ? p : -1;
            chains[i] = new Chain(producer, affine < 0 ? null : (IChannelAffineLayer)layers[affine],
                activation < 0 ? null : (IActivationLayer)layers[activation], pool < 0 ? null : (IPoolingLayer)layers[pool],
                placement[i], outputShapes[i][0], dataType)
            {
                Sum = sum < 0 ? null : (sum, residual),
                SumActivation = sumActivation < 0 ? null : (IActivationLayer)layers[sumActivation],
            };
            foreach (int member in new[] { sum, sumActivation })
            {
                if (member >= 0)
                {
                    summedBy[member] = i;
                }
            }
            if (pool >= 0)
            {
                pooledBy[pool] = i;
            }
            foreach (int member in new[] { affine, activation })
            {
                if (member >= 0)
                {
                    fusedInto[member] = i;
                }
            }
        }
        return new InferenceFusion(chains, fusedInto, pooledBy, summedBy);
    }

    /// <summary>
    /// The sum that a chain ending in layer <paramref name="last"/> may run in its producer's epilogue: the
    /// only reader <paramref name="sum"/> of that layer, adding it and one other input computed before the
    /// producer; which input of the sum that other one is; and the activation after the sum that joins too.
    /// (−1, −1, −1): none.
    /// </summary>
    private static (int Sum, int Residual, int Activation) FindResidual(IReadOnlyList<ILayer> layers, IReadOnlyList<int[]> inputs, int sum, int last, int producer,
        IReadOnlyList<bool> feedsMainOutput, IReadOnlyList<IBackend> placement, IReadOnlyList<Shape> outputShapes, DataType dataType, int[] next)
    {
        if (sum < 0 || layers[sum] is not ISumLayer || inputs[sum] is not [int a, int b] || (a == last) == (b == last)
            || !feedsMainOutput[sum] || placement[sum] != placement[producer])
        {
            return (-1, -1, -1);
        }
        int residual = a == last ? 1 : 0;
        if (inputs[sum][residual] >= producer)
        {
            return (-1, -1, -1); // the shortcut would not be ready when the producer runs
        }
        int activation = next[sum] is int n and >= 0 && layers[n] is IActivationLayer act
            && placement[producer].Supports(new OpDescriptor(BackendOp.ChannelAffine, dataType) { Shape = outputShapes[producer], Activation = act.Activation })
            ? n : -1;
        return (sum, residual, activation);
    }

    /// <summary>
    /// The producer whose epilogue computed <paramref name="layer"/>'s output in this pass (−1: it runs
    /// itself); for a pooling layer, asked after its producer's chain has run.
    /// </summary>
    public int FusedInto(int layer) =>
        _pooledBy[layer] is int producer and >= 0 ? (_chains[producer]!.Pooled ? producer : -1)
        : _summedBy[layer] is int summer and >= 0 ? (_chains[summer]!.Summed ? summer : -1)
        : _fusedInto[layer];

    /// <summary>The sum whose other input the chain that <paramref name="layer"/> starts adds in its epilogue, and which input of it that is; null: none.</summary>
    public (int Sum, int Input)? Residual(int layer) => _chains[layer]?.Sum;

    /// <summary>Whether <paramref name="layer"/> starts a chain (<see cref="Forward"/> runs it).</summary>
    public bool Starts(int layer) => _chains[layer] is not null;

    /// <summary>
    /// Runs the chain that <paramref name="layer"/> starts on <paramref name="input"/>, with <paramref name="residual"/>
    /// the other input of its sum (<see cref="Residual"/>; null: none); the output is the chain's last layer's.
    /// </summary>
    public Tensor Forward(int layer, Tensor input, Tensor? residual = null) => _chains[layer]!.Forward(input, residual);

    /// <summary>Frees the chains' scale and shift vectors.</summary>
    public void Dispose()
    {
        foreach (Chain? chain in _chains)
        {
            chain?.Dispose();
        }
    }

    /// <summary>
    /// A producer, the normalisation and the activation after it (either may be absent), the pooling
    /// after the activation (may be absent), and the epilogue's vectors.
    /// </summary>
    private sealed class Chain(IEpilogueLayer producer, IChannelAffineLayer? affine, IActivationLayer? activation, IPoolingLayer? pool,
        IBackend backend, int channels, DataType dataType) : IDisposable
    {
        private Tensor? _scale;
        private Tensor? _shift;

        /// <summary>Whether the last pass ran the pooling too (its output is then the pooled one).</summary>
        public bool Pooled { get; private set; }

        /// <summary>The sum that may join the chain and which of its inputs is the residual (null: none).</summary>
        public (int Sum, int Input)? Sum { get; init; }

        /// <summary>The activation after the sum, which joins with it.</summary>
        public IActivationLayer? SumActivation { get; init; }

        /// <summary>Whether the last pass ran the sum (and the activation after it) too.</summary>
        public bool Summed { get; private set; }

        public Tensor Forward(Tensor input, Tensor? residual)
        {
            Summed = false;
            if (affine is null && activation is not null && producer is IBiasActivationLayer direct
                && direct.FusesBiasActivation(activation.Activation, training: false))
            {
                // No scale to apply: the backend's fused call takes the filters as they are and the bias itself.
                Pooled = false;
                return direct.ForwardWithBiasActivation(input, training: false, activation.Activation, activation.Alpha);
            }
            Tensor scale = _scale ??= backend.Allocate(new Shape(channels), dataType);
            Tensor shift = _shift ??= backend.Allocate(new Shape(channels), dataType);
            if (affine is not null)
            {
                affine.InferenceAffine(producer.OutputBias, scale, shift);
            }
            else
            {
                // Scale 1 and the bias as shift: written every pass, as the bias may have been trained since.
                backend.Fill(scale, 1);
                if (producer.OutputBias is { } bias)
                {
                    backend.Copy(bias, shift);
                }
                else
                {
                    backend.Fill(shift, 0);
                }
            }
            if (Sum is not null && residual is not null
                && producer.ForwardWithEpilogueResidual(input, scale, shift, residual, SumActivation?.Activation, SumActivation?.Alpha ?? 0) is { } summed)
            {
                Summed = true;
                Pooled = false;
                return summed;
            }
            Tensor? pooled = pool?.PoolingGeometry is { } geometry
                ? producer.ForwardWithEpiloguePooled(input, scale, shift, activation?.Activation, activation?.Alpha ?? 0, geometry)
                : null;
            Pooled = pooled is not null;
            return pooled ?? producer.ForwardWithEpilogue(input, scale, shift, activation?.Activation, activation?.Alpha ?? 0);
        }

        public void Dispose()
        {
            _scale?.Dispose();
            _shift?.Dispose();
        }
    }
}
