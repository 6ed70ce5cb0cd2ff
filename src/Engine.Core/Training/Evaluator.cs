namespace Engine.Core;

/// <summary>
/// Runs a network in inference mode over a data set, in order, with batches read ahead by a
/// <see cref="BackgroundBatchLoader"/>, counting top-1, top-5, the confusion matrix and (given a
/// loss) the mean loss. Kept by the trainer across epochs so its buffers are made once.
/// </summary>
internal sealed class Evaluator : IDisposable
{
    private readonly Network _network;
    private readonly ImageDataset _data;
    private readonly int _batchSize;
    private readonly ILoss? _loss;
    private readonly BackgroundBatchLoader _loader;
    private readonly int[] _order;
    private readonly float[] _logits;
    private readonly float[] _lossFloat = new float[1];
    private readonly double[] _lossDouble = new double[1];

    public Evaluator(Network network, ImageDataset data, int batchSize, ILoss? loss, int prefetch)
    {
        _network = network;
        _data = data;
        _batchSize = batchSize;
        _loss = loss;
        _loader = new BackgroundBatchLoader(network.Backend, data, batchSize, prefetch);
        _order = new int[data.Count];
        for (int i = 0; i < _order.Length; i++)
        {
            _order[i] = i;
        }
        _logits = new float[checked(batchSize * data.ClassCount)];
    }

    public EvaluationResult Run(CancellationToken cancellation = default)
    {
        int k = _data.ClassCount;
        var confusion = new long[k * k];
        long top1 = 0, top5 = 0;
        double lossSum = 0;
        _loader.Start(_order, _order.Length, _batchSize);
        for (int b = 0; b < _loader.BatchCount; b++)
        {
            cancellation.ThrowIfCancellationRequested();
            var (inputs, targets) = _loader.Next();
            Tensor output = _network.Forward(inputs, training: false);
            Span<float> logits = _logits.AsSpan(0, (int)output.ElementCount);
            _network.Backend.CopyToHost(output, logits);
            ReadOnlySpan<int> labels = _loader.Labels;
            top1 += Metrics.CountTopK(logits, labels, 1);
            top5 += Metrics.CountTopK(logits, labels, 5);
            Metrics.AddToConfusion(logits, labels, confusion);
            if (_loss is not null)
            {
                lossSum += ReadScalar(_loss.Compute(output, targets).Value) * labels.Length;
            }
        }
        double loss = _loss is null || _order.Length == 0 ? double.NaN : lossSum / _order.Length;
        return new EvaluationResult(_order.Length, loss, top1, top5, confusion, _data.ClassNames);
    }

    private double ReadScalar(Tensor value)
    {
        if (value.DataType == DataType.Float64)
        {
            value.Backend.CopyToHost<double>(value, _lossDouble);
            return _lossDouble[0];
        }
        value.Backend.CopyToHost<float>(value, _lossFloat);
        return _lossFloat[0];
    }

    public void Dispose() => _loader.Dispose();
}
