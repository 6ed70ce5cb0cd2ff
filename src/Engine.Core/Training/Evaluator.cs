using Engine.Core.Distributed;

namespace Engine.Core;

/// <summary>
/// Runs a network in inference mode over a data set, in order, with batches read ahead by a
/// <see cref="BackgroundBatchLoader"/>, counting top-1, top-5, the confusion matrix and (given a
/// loss) the mean loss on the backend (<see cref="IBackend.AccumulateTopK"/>,
/// <see cref="IBackend.AccumulateConfusion"/>, <see cref="IBackend.AccumulateLoss"/>); the host
/// reads them once, at the end of the pass. NaN logits are never scored correct. Kept by the
/// trainer across epochs so its buffers are made once.
/// <para>
/// Given a group of ranks, each rank evaluates a consecutive run of the one-process batches
/// (<see cref="BatchShard.Slice"/> over the batch count: the same batches, so the same outputs) and the
/// counts are summed over the ranks: integers, exact in doubles. The loss is kept per batch (one
/// accumulator each) and the per-batch terms, summed over the ranks where every other rank adds 0,
/// are added on the host in batch order, as one process's accumulator adds them: the mean loss has
/// the same bits on any rank count.
/// </para>
/// </summary>
internal sealed class Evaluator : IDisposable
{
    private const int TopK = 0, Confusion = 1, Finite = 2, Loss = 3; // Loss + j: local batch j's loss under a group
    private const int CountsLength = 5 + 1; // top-1 … top-5, then the finite rows; the confusion matrix lies between
    private readonly Network _network;
    private readonly ImageDataset _data;
    private readonly int _batchSize;
    private readonly ILoss? _loss;
    private readonly BackgroundBatchLoader _loader;
    private readonly int[] _order;
    private readonly DeviceCounters _counters;
    private readonly TensorBuffer _difference; // output − output: 0 where finite, NaN where NaN or ±∞
    private readonly TensorBuffer _zeroLabels;
    private readonly ICommunicator? _group;
    private readonly int _firstBatch;
    private readonly double[] _totals = []; // under a group: counts, then every global batch's loss term

    public Evaluator(Network network, ImageDataset data, int batchSize, ILoss? loss, int prefetch, ICommunicator? group = null)
    {
        _network = network;
        _data = data;
        _batchSize = batchSize;
        _loss = loss;
        SizeLimits.CheckBatch(network, batchSize, "evaluation batch size", training: false);
        _loader = new BackgroundBatchLoader(network.Backend, data, batchSize, prefetch);
        int k = data.ClassCount;
        int batches = (data.Count + batchSize - 1) / batchSize, localBatches = batches;
        if (group is { Size: > 1 })
        {
            _group = group;
            (_firstBatch, localBatches) = BatchShard.Slice(batches, group.Rank, group.Size);
            _totals = new double[CountsLength + (k * k) + batches];
        }
        int first = Math.Min(_firstBatch * batchSize, data.Count); // a rank without batches starts at the end
        _order = new int[Math.Min((_firstBatch + localBatches) * batchSize, data.Count) - first];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = first + i;
        }
        int[] sizes = [5, checked(k * k), 1, .. Enumerable.Repeat(2, _group is null ? 1 : localBatches)]; // top-k: counts[j] = label ranked within the top j + 1
        _counters = new DeviceCounters(network.Backend, sizes);
        // Rows of output − output ranked against label 0 by AccumulateTopK: an all-zero row (every
        // output finite) ranks it first; a NaN anywhere in the row never does. So the top-1 count is
        // the number of examples whose outputs are all finite, counted on the backend like the rest.
        _difference = new TensorBuffer(network.Backend, network.DataType);
        _zeroLabels = new TensorBuffer(network.Backend, DataType.Int32);
        network.Backend.CopyFromHost<int>(new int[batchSize], _zeroLabels.Get(new Shape(batchSize)));
    }

    public EvaluationResult Run(CancellationToken cancellation = default)
    {
        IBackend backend = _network.Backend;
        _counters.Reset();
        if (_group is not null && _network.Layers.Any(l => l is IBatchStatisticsLayer))
        {
            BatchStatisticsSum.ShareRankZeroState(_group, _network.Layers);
        }
        _loader.Start(_order, _order.Length, _batchSize);
        for (int b = 0; b < _loader.BatchCount; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (inputs, labels) = _loader.Next();
            Tensor output = _network.Forward(inputs, training: false);
            backend.AccumulateTopK(output, labels, _counters[TopK]);
            backend.AccumulateConfusion(output, labels, _counters[Confusion]);
            Tensor difference = _difference.Like(output);
            backend.Binary(BinaryOp.Subtract, output, output, difference);
            backend.AccumulateTopK(difference, _zeroLabels.Get(labels.Shape), _counters[Finite]);
            if (_loss is not null)
            {
                backend.AccumulateLoss(_loss.Compute(output, labels).Value, labels.ElementCount, b + 1, _counters[Loss + (_group is null ? 0 : b)]);
            }
        }
        ReadOnlySpan<double> counts = _counters.Read();
        int k = _data.ClassCount;
        int lossAt = CountsLength + (k * k);
        double lossSum = counts.Length > lossAt ? counts[lossAt] : 0;
        if (_group is not null)
        {
            (counts, lossSum) = SumOverRanks(counts, lossAt);
        }
        var confusion = new long[k * k];
        for (int i = 0; i < confusion.Length; i++)
        {
            confusion[i] = (long)counts[5 + i];
        }
        int count = _data.Count;
        double loss = _loss is null || count == 0 ? double.NaN : lossSum / count;
        long finite = (long)counts[5 + confusion.Length];
        return new EvaluationResult(count, loss, (long)counts[0], (long)counts[4], confusion, _data.ClassNames)
        {
            NonFiniteOutputs = count - finite,
        };
    }

    // The counts of every rank and the loss summed in global batch order (this rank's terms placed
    // at its batches, zeros elsewhere, so the sum over the ranks is each batch's own term).
    private (double[] Counts, double LossSum) SumOverRanks(ReadOnlySpan<double> counts, int lossAt)
    {
        Array.Clear(_totals);
        counts[..lossAt].CopyTo(_totals);
        for (int j = 0; lossAt + (2 * j) < counts.Length; j++)
        {
            _totals[lossAt + _firstBatch + j] = counts[lossAt + (2 * j)];
        }
        _group!.Sum(_totals);
        double lossSum = 0;
        for (int b = lossAt; b < _totals.Length; b++)
        {
            lossSum += _totals[b];
        }
        return (_totals, lossSum);
    }

    public void Dispose()
    {
        _loader.Dispose();
        _counters.Dispose();
        _difference.Dispose();
        _zeroLabels.Dispose();
    }
}
