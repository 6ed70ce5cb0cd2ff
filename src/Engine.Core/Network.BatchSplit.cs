using System.Globalization;

namespace Engine.Core;

public sealed partial class Network
{
    /// <summary>
    /// Per-sample forward multiply-accumulates up to which <see cref="BatchSplitMode.Auto"/> splits
    /// batches: below it (LeNet-5 has about 0.3 million) a layer's work is too small to share out op
    /// by op, above it the ops split well on their own and a copy of the network costs memory.
    /// </summary>
    public const long BatchSplitMaxMultiplyAccumulates = 10_000_000;

    /// <summary>
    /// Per-sample forward multiply-accumulates up to which inference passes split their batch (<see cref="SplitInference"/>):
    /// the CIFAR-size models (ResNet-20 and VGG-CIFAR about 40 million) gain from a whole sub-batch per thread, while an
    /// ImageNet-size one (ResNet-18 1.8 billion, AlexNet 0.7) keeps every thread busy inside each op and would pay a copy of
    /// its weights per thread: ResNet-18 at batch 16 and 64 infers 5–10 % faster unsplit on this project's 2-core machine,
    /// in 145 MB less (benchmarks/NOTES.md). <c>ENGINE_INFER_SPLIT=all</c> splits whatever the size.
    /// </summary>
    public const long InferenceSplitMaxMultiplyAccumulates = 200_000_000;

    private static readonly bool s_splitInferenceOfAnySize = Environment.GetEnvironmentVariable("ENGINE_INFER_SPLIT") == "all";
    private long _multiplyAccumulatesPerSample = -1;

    private Func<Network>? _replicate;
    private BatchSplit? _split;
    private BatchSplitMode _batchSplit = BatchSplitModes.FromEnvironment();
    private string? _splitRefusal;
    private bool _splitChecked;

    /// <summary>
    /// Whether a batch is cut into one sub-batch per thread of the backend, each run through the
    /// whole network on its own thread (see <see cref="BatchSplitMode"/>; the default comes from the
    /// <c>ENGINE_BATCH_SPLIT</c> environment variable, else auto). Only a backend that lends its
    /// threads (<see cref="IParallelWorkers"/>) splits, and only a model without batch statistics,
    /// layer state, auxiliary outputs or layers on a fallback backend (<see cref="BatchSplitRefusal"/>);
    /// training passes split only while no input gradient is asked for and no per-layer backward hook
    /// is set. The weight gradients are summed over the sub-batches in a fixed order: the same bits
    /// run to run at one thread count, equal to the unsplit ones up to rounding.
    /// </summary>
    public BatchSplitMode BatchSplit
    {
        get => _batchSplit;
        set => _batchSplit = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Why this network can never split its batches (null when it can): names the layer or feature that prevents it.</summary>
    public string? BatchSplitRefusal
    {
        get
        {
            if (!_splitChecked)
            {
                _splitRefusal = FindSplitRefusal();
                _splitChecked = true;
            }
            return _splitRefusal;
        }
    }

    /// <summary>Whether a batch of <paramref name="batch"/> examples would be split now by the training rule (which small-model inference shares).</summary>
    public bool SplitsBatch(int batch) => SplitFor(batch, training: false, wholeInference: false) is not null;

    /// <summary>
    /// Whether inference passes split their batch for models of up to <see cref="InferenceSplitMaxMultiplyAccumulates"/> per
    /// sample (default: on; <c>ENGINE_INFER_SPLIT=off</c> leaves them to the training rule, <see cref="BatchSplitMode.Auto"/>'s
    /// size limit included; <c>all</c> splits whatever the model's size). Inference has no weight gradients to sum, and batch normalisation reads its
    /// running statistics (the copies take every layer's state, and the weights, written since their last pass), so each thread can take a whole sub-batch
    /// through every layer: one synchronisation per pass instead of one per op, no serial gap between
    /// layers, and each thread's activations stay in its own caches from layer to layer. The outputs are
    /// the bits of unsplit passes over each sub-batch (the same run to run at a thread count; on the OpenBLAS backend those of
    /// one thread, as kernels inside the pool's loop cut their work for the one thread they run on: <c>ENGINE_POOL_NESTED</c>), and the
    /// unsplit pass's wherever every kernel computes a sample the same way in a smaller batch. A
    /// <see cref="BatchSplitMode.Off"/> split or a per-layer hook (<see cref="LayerForwardDone"/>) turns it off.
    /// <c>ENGINE_SPLIT_PIECES</c> cuts a large batch into more pieces than threads, handed out one at a time (each
    /// thread runs its pieces on its own copy): the outputs are then those of unsplit passes over each piece.
    /// </summary>
    public bool SplitInference { get; set; } = Environment.GetEnvironmentVariable("ENGINE_INFER_SPLIT") != "off";

    /// <summary>Whether an inference pass over <paramref name="batch"/> examples would be split now (<see cref="SplitInference"/> or the training rule).</summary>
    public bool SplitsInference(int batch) => SplitFor(batch, training: false) is not null;

    // What the batch split copied into its copies so far: tensors (weights and listed state, TensorMirror: only
    // those written since their last copy) and stateful layers' state through the host; for tests.
    internal (long Tensors, long HostStates) SplitCopies => _split is null ? (0, 0) : (_split.TensorCopies, _split.HostStateCopies);

    // Pieces of the last inference pass cut in pieces (SplitPieces; 0: the static split or none), and a hook called
    // before each piece with (copy, piece) on the thread running it; for tests.
    internal int SplitPiecesLastPass => _split?.LastPieces ?? 0;

    internal Action<int, int>? SplitPieceStarting
    {
        get => _split?.PieceStarting;
        set
        {
            if (SplitFor(int.MaxValue, training: false) is { } split)
            {
                split.PieceStarting = value;
            }
        }
    }

    // A per-layer hook for measuring that leaves the inference split on (LayerForwardDone turns it off): called like
    // LayerForwardDone on the thread that ran the layer, by the network and by each of the split's copies, which take it
    // with the weights before their first piece of a pass; the bench's split profile (thread CPU time per layer).
    internal Action<int>? LayerProbe { get; set; }

    // A copy of this network with its own layers and buffers (initial weights; the split copies the current ones in).
    internal Network Replicate() => (_replicate ?? throw new InvalidOperationException($"model '{Name}' was not built from a spec and cannot be copied"))();

    // The split of this pass, or null (then a pass before it that was split is forgotten: backward follows this one).
    private BatchSplit? SplitFor(Tensor input, bool training)
    {
        BatchSplit? split = input.Shape.Rank == InputShape.Rank + 1 && input.Shape.AsSpan()[1..].SequenceEqual(InputShape.AsSpan()) ? SplitFor(input.Shape[0], training) : null;
        if (split is null)
        {
            _split?.Forget();
        }
        return split;
    }

    private BatchSplit? SplitFor(int batch, bool training, bool wholeInference = true)
    {
        if (_batchSplit == BatchSplitMode.Off || Backend is not IParallelWorkers { WorkerCount: > 1 } workers)
        {
            return null;
        }
        bool inference = wholeInference && !training && SplitInference && LayerForwardDone is null && InferenceSplitRefusal is null
            && (s_splitInferenceOfAnySize || MultiplyAccumulatesPerSample() <= InferenceSplitMaxMultiplyAccumulates);
        if (!inference && (BatchSplitRefusal is not null || (training && (ComputeInputGradient || LayerBackwardDone is not null))))
        {
            return null;
        }
        if (!inference && _batchSplit == BatchSplitMode.Auto && MultiplyAccumulatesPerSample() > BatchSplitMaxMultiplyAccumulates)
        {
            return null;
        }
        _split ??= new BatchSplit(this, workers, workers.WorkerCount);
        return _split.Splits(batch) ? _split : null;
    }

    /// <summary>Why inference passes cannot split (null when they can): the training refusals but those of batch statistics and state.</summary>
    public string? InferenceSplitRefusal
    {
        get
        {
            if (!_inferenceSplitChecked)
            {
                _inferenceSplitRefusal = FindSplitRefusal(inference: true);
                _inferenceSplitChecked = true;
            }
            return _inferenceSplitRefusal;
        }
    }

    private string? _inferenceSplitRefusal;
    private bool _inferenceSplitChecked;

    // The layers and their shapes are fixed once built: summed once (every pass asks).
    internal long MultiplyAccumulatesPerSample()
    {
        if (_multiplyAccumulatesPerSample < 0)
        {
            _multiplyAccumulatesPerSample = _layers.Sum(l => (l as ILayerCost)?.MultiplyAccumulates ?? 0);
        }
        return _multiplyAccumulatesPerSample;
    }

    // inference: layers with batch statistics or state are allowed: batch normalisation normalises with its
    // running statistics there, dropout passes its input on, and every component's state is copied into
    // each copy before the pass (BatchSplit.TakeWeights: device copies of the tensors IInferenceState lists, skipped while unchanged; TakeHostState for other layers), so the copies compute as the network would.
    private string? FindSplitRefusal(bool inference = false)
    {
        if (_replicate is null)
        {
            return "it was not built from a model spec";
        }
        if (_auxiliary.Length > 0)
        {
            return "it has auxiliary outputs";
        }
        for (int i = 0; i < _layers.Count; i++)
        {
            if (_placement[i] != Backend)
            {
                return $"layer '{_layers[i].Name}' ({_layers[i].Kind}) runs on the fallback backend";
            }
            if (inference)
            {
                continue; // batch statistics and state: inference reads the state, which the copies take per pass
            }
            if (_layers[i] is IBatchStatisticsLayer)
            {
                return $"layer '{_layers[i].Name}' ({_layers[i].Kind}) normalises over the batch, which a split would change";
            }
            if (_layers[i] is IStatefulComponent)
            {
                return $"layer '{_layers[i].Name}' ({_layers[i].Kind}) keeps state that copies would not share";
            }
        }
        return null;
    }

    // A split forward pass left its activations in the copies: its backward must be split too.
    private void RefuseSplitBackward(int auxiliaryGradients)
    {
        if (auxiliaryGradients > 0 || ComputeInputGradient || LayerBackwardDone is not null)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"model '{Name}': the forward pass was split into sub-batches, so backward cannot take auxiliary gradients, an input gradient or a per-layer hook; set them before the forward pass"));
        }
    }
}
