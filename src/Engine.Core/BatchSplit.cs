using Engine.Core.Distributed;

namespace Engine.Core;

/// <summary>
/// Batch-level parallelism for small networks, and for inference of any network (<see cref="Network.BatchSplit"/>,
/// <see cref="Network.SplitInference"/>): a batch is cut
/// into one consecutive sub-batch per thread of the backend (<see cref="BatchShard.Slice"/>: lengths
/// differing by at most one, the first ones longer), and each thread runs the whole forward pass,
/// and in training the whole backward pass, of its sub-batch on its own copy of the network
/// (sub-batch 0 on the network itself), its ops single-threaded. A small network's layers are too
/// small to split one by one: one synchronisation per pass instead of one per op is what pays.
/// Inference may instead cut the batch into more pieces than threads, handed out one at a time
/// (<see cref="SplitPieces"/>, BatchSplit.Pieces.cs), so that a thread held up by another process
/// costs the others at most a piece of waiting, not a sub-batch.
/// </summary>
/// <remarks>
/// The copies are built from the same spec and take, before every pass, the network's weights written since
/// their last pass (<see cref="TensorMirror"/>: write versions; for a small network a copy of a few hundred kilobytes). The outputs are gathered into one tensor, so the
/// loss sees the whole batch as without the split, and its gradient, already divided by the whole
/// batch size, is cut the same way for backward. Each copy then holds its sub-batch's part of every
/// parameter gradient; they are added into the network's own in the fixed order of the sub-batches
/// (((g0 + g1) + g2) + …), so a thread count gives the same bits run to run. Against the unsplit
/// pass the sums over the batch are grouped differently, so the weight gradients differ by rounding;
/// the outputs and input-side values are the same per sample as far as the kernels compute a sample
/// the same way in a smaller batch.
/// </remarks>
internal sealed partial class BatchSplit : IDisposable
{
    private readonly Network _network;
    private readonly IParallelWorkers _workers;
    private readonly int _shards;
    private readonly Network?[] _copies; // [0] unused: sub-batch 0 runs on the network itself
    private readonly StateDictionary?[] _states; // per copy: the state in transit of layers that do not list their state tensors (inference)
    private readonly TensorMirror?[] _mirrors; // per copy: its weights and listed state tensors, copied when changed
    private readonly TensorBuffer[] _shardInputs;
    private readonly TensorBuffer[] _shardGradients;
    private readonly TensorBuffer _output;
    private readonly RowViews _views = new();
    private readonly Action<int> _forward;
    private readonly Action<int> _backward;
    private Tensor? _input;
    private Tensor? _outputGradient;
    private bool _training;
    private int _batch; // of the last split forward pass; 0 when it was not split

    public BatchSplit(Network network, IParallelWorkers workers, int shards)
    {
        _network = network;
        _workers = workers;
        _shards = shards;
        _copies = new Network?[shards];
        _states = new StateDictionary?[shards];
        _mirrors = new TensorMirror?[shards];
        _shardInputs = [.. Enumerable.Range(0, shards).Select(_ => new TensorBuffer(network.Backend, network.DataType))];
        _shardGradients = [.. Enumerable.Range(0, shards).Select(_ => new TensorBuffer(network.Backend, network.DataType))];
        _output = new TensorBuffer(network.Backend, network.DataType);
        _forward = ForwardShard;
        _backward = BackwardShard;
        _runPieces = RunPieces;
        _taken = new int[shards];
    }

    /// <summary>Whether a batch of <paramref name="batch"/> splits: every sub-batch gets at least one example.</summary>
    public bool Splits(int batch) => batch >= _shards;

    /// <summary>Whether the last forward pass was split, for a training pass whose backward must be split the same way.</summary>
    public bool SplitBackward(Tensor outputGradient) =>
        _training && _batch > 0 && outputGradient.Shape.Rank > 0 && outputGradient.Shape[0] == _batch;

    /// <summary>The network's last forward pass was not split: its backward is not either.</summary>
    public void Forget() => _batch = 0;

    public Tensor Forward(Tensor input, bool training)
    {
        _batch = 0;
        int batch = input.Shape[0];
        for (int s = 1; s < _shards; s++)
        {
            _copies[s] ??= _network.Replicate();
            if (training)
            {
                TakeWeights(s);
            }
        }
        _input = input;
        _training = training;
        Tensor output = _output.ForBatch(batch, _network.OutputShape);
        int pieces = training ? 0 : SplitPieces.For(batch, _shards, SplitPieces.Setting);
        if (pieces > 0)
        {
            ForwardPieces(batch, pieces);
        }
        else
        {
            _lastPieces = 0;
            _workers.RunParallel(_shards, _forward);
        }
        _input = null;
        _batch = batch;
        return output;
    }

    public void Backward(Tensor outputGradient)
    {
        _outputGradient = outputGradient;
        _workers.RunParallel(_shards, _backward);
        _outputGradient = null;
        IBackend backend = _network.Backend;
        IReadOnlyList<Parameter> sums = _network.Parameters;
        for (int p = 0; p < sums.Count; p++)
        {
            if (sums[p].Frozen || !sums[p].HasGradient)
            {
                continue;
            }
            for (int s = 1; s < _shards; s++)
            {
                backend.Axpby(1, _copies[s]!.Parameters[p].Gradient, 1, sums[p].Gradient); // fixed order: sub-batch 0's, then 1's, …
            }
        }
    }

    private void ForwardShard(int shard)
    {
        if (!_training && shard > 0)
        {
            TakeForInference(shard);
        }
        (int start, int count) = BatchShard.Slice(_input!.Shape[0], shard, _shards);
        ForwardRows(shard, start, count);
    }

    // Inference: a copy takes the weights and the running statistics on its own thread, beside sub-batch 0's
    // first layers (a large model's weights are tens of MB; the caller would copy them alone).
    private void TakeForInference(int copy)
    {
        Network network = _copies[copy]!;
        TakeWeights(copy);
        TakeHostState(network, _states[copy] ??= new StateDictionary());
        network.FuseInference = _network.FuseInference;
        network.LayerProbe = _network.LayerProbe;
    }

    // Rows [start, start + count) of the input through the whole network on copy `copy` (0: the network itself),
    // by way of that copy's input buffer, into the same rows of the gathered output.
    private void ForwardRows(int copy, int start, int count)
    {
        Tensor input = _input!;
        int batch = input.Shape[0];
        Tensor x = _shardInputs[copy].ForBatch(count, _network.InputShape);
        IBackend backend = _network.Backend;
        backend.CopyChannels(_views.Rows(input), start, _views.Rows(x), 0, count);
        Tensor y = (copy == 0 ? _network : _copies[copy]!).ForwardWhole(x, _training);
        backend.CopyChannels(_views.Rows(y), 0, _views.Rows(_output.ForBatch(batch, _network.OutputShape)), start, count);
    }

    private void BackwardShard(int shard)
    {
        Tensor gradient = _outputGradient!;
        (int start, int count) = BatchShard.Slice(_batch, shard, _shards);
        Tensor g = _shardGradients[shard].ForBatch(count, _network.OutputShape);
        _network.Backend.CopyChannels(_views.Rows(gradient), start, _views.Rows(g), 0, count);
        (shard == 0 ? _network : _copies[shard]!).BackwardWhole(g, []);
    }

    /// <summary>Tensors copied into the copies so far (weights and listed state, skipped ones not counted); for tests.</summary>
    public long TensorCopies => _mirrors.Sum(m => m?.Copies ?? 0);

    /// <summary>Stateful layers' state copied through the host so far (layers without <see cref="IInferenceState"/>); for tests.</summary>
    public long HostStateCopies => Interlocked.Read(ref _hostStateCopies);

    private long _hostStateCopies;

    // A copy computes with the network's current weights, frozen as the network's are, and (inference) the
    // state tensors its layers list (IInferenceState: batch normalisation's running statistics). Each tensor is
    // copied only when it or its copy was written since its last copy (TensorMirror): an inference loop over
    // unchanged weights copies nothing after its first pass (47 MB a pass on ResNet-18 before).
    private void TakeWeights(int shard)
    {
        Network copy = _copies[shard]!;
        IReadOnlyList<Parameter> from = _network.Parameters, to = copy.Parameters;
        for (int p = 0; p < from.Count; p++)
        {
            to[p].Frozen = from[p].Frozen;
        }
        (_mirrors[shard] ??= new TensorMirror(Mirrored(_network), Mirrored(copy))).Refresh(_network.Backend);
    }

    private static List<Tensor> Mirrored(Network network)
    {
        var tensors = new List<Tensor>(network.Parameters.Select(p => p.Value));
        foreach (ILayer layer in network.Layers)
        {
            if (layer is IStatefulComponent and IInferenceState listed)
            {
                tensors.AddRange(listed.InferenceStateTensors);
            }
        }
        return tensors;
    }

    // The state of stateful layers that do not list their state tensors (Network.InferenceSplitRefusal allows
    // them in inference), through the host: SaveState and LoadState per pass.
    private void TakeHostState(Network copy, StateDictionary state)
    {
        IReadOnlyList<ILayer> from = _network.Layers, to = copy.Layers;
        for (int i = 0; i < from.Count; i++)
        {
            if (from[i] is IStatefulComponent source and not IInferenceState && to[i] is IStatefulComponent target)
            {
                string prefix = from[i].Name + ".";
                source.SaveState(state, prefix);
                target.LoadState(state, prefix);
                Interlocked.Increment(ref _hostStateCopies);
            }
        }
    }

    public void Dispose()
    {
        foreach (Network? copy in _copies)
        {
            copy?.Dispose();
        }
        foreach (TensorBuffer buffer in _shardInputs.Concat(_shardGradients).Append(_output))
        {
            buffer.Dispose();
        }
        _views.Dispose();
    }

    /// <summary>
    /// A batch seen as one sample whose channels are the examples (1×N×S), so that
    /// <see cref="IBackend.CopyChannels"/> copies a range of examples. The views of the last few
    /// tensors are kept (the loader cycles through a few input tensors), so a steady pass allocates none.
    /// </summary>
    private sealed class RowViews : IDisposable
    {
        private readonly Tensor?[] _sources = new Tensor?[16];
        private readonly Tensor?[] _views = new Tensor?[16];
        private readonly Lock _gate = new();
        private int _next;

        public Tensor Rows(Tensor tensor)
        {
            lock (_gate)
            {
                for (int i = 0; i < _sources.Length; i++)
                {
                    if (ReferenceEquals(_sources[i], tensor))
                    {
                        return _views[i]!;
                    }
                }
                Tensor view = tensor.Reshape(new Shape(1, tensor.Shape[0], checked((int)(tensor.ElementCount / tensor.Shape[0]))));
                _views[_next]?.Dispose();
                _sources[_next] = tensor;
                _views[_next] = view;
                _next = (_next + 1) % _sources.Length;
                return view;
            }
        }

        public void Dispose()
        {
            foreach (Tensor? view in _views)
            {
                view?.Dispose();
            }
        }
    }
}
