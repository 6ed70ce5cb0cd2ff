namespace Engine.Core;

/// <summary>
/// Runs a network in inference mode over a data set, in order, with batches read ahead by a
/// <see cref="BackgroundBatchLoader"/>, counting top-1, top-5, the confusion matrix and (given a
/// loss) the mean loss on the backend (<see cref="IBackend.AccumulateTopK"/>,
/// <see cref="IBackend.AccumulateConfusion"/>, <see cref="IBackend.AccumulateLoss"/>); the host
/// reads them once, at the end of the pass. NaN logits are never scored correct. Kept by the
/// trainer across epochs so its buffers are made once.
/// </summary>
internal sealed class Evaluator : IDisposable
{
    private const int Loss = 0, TopK = 1, Confusion = 2, Finite = 3;
    private readonly Network _network;
    private readonly ImageDataset _data;
    private readonly int _batchSize;
    private readonly ILoss? _loss;
    private readonly BackgroundBatchLoader _loader;
    private readonly int[] _order;
    private readonly DeviceCounters _counters;
    private readonly TensorBuffer _difference; // output − output: 0 where finite, NaN where NaN or ±∞
    private readonly TensorBuffer _zeroLabels;

    public Evaluator(Network network, ImageDataset data, int batchSize, ILoss? loss, int prefetch)
    {
        _network = network;
        _data = data;
        _batchSize = batchSize;
        _loss = loss;
        SizeLimits.CheckBatch(network, batchSize, "evaluation batch size", training: false);
        _loader = new BackgroundBatchLoader(network.Backend, data, batchSize, prefetch);
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }
        int k = data.ClassCount;
        _counters = new DeviceCounters(network.Backend, 2, 5, checked(k * k), 1); // counts[j]: label ranked within the top j + 1
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
                backend.AccumulateLoss(_loss.Compute(output, labels).Value, labels.ElementCount, b + 1, _counters[Loss]);
            }
        }
        ReadOnlySpan<double> counts = _counters.Read();
        int k = _data.ClassCount;
        var confusion = new long[k * k];
        for (int i = 0; i < confusion.Length; i++)
        {
            confusion[i] = (long)counts[7 + i];
        }
        double loss = _loss is null || _order.Length == 0 ? double.NaN : counts[0] / _order.Length;
        long finite = (long)counts[7 + confusion.Length];
        return new EvaluationResult(_order.Length, loss, (long)counts[2], (long)counts[6], confusion, _data.ClassNames)
        {
            NonFiniteOutputs = _order.Length - finite,
        };
    }

    public void Dispose()
    {
        _loader.Dispose();
        _counters.Dispose();
        _difference.Dispose();
        _zeroLabels.Dispose();
    }
}
