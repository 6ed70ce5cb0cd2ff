namespace Engine.Layers.Standard;

/// <summary>
/// Synchronised batch normalisation: with a <see cref="CrossReplicaSum"/>, a training forward pass
/// normalises with the mean and variance of every replica's batch together and folds those into
/// the running statistics, and backward gives the input gradient that one process would give on the
/// global batch. Only per-channel vectors cross the replicas and the host (C values each way), the
/// element-wise work stays on the backend's own batch-norm kernels:
/// <list type="bullet">
/// <item>Forward: the backend's training pass gives this replica's mean μᵣ and 1/√(σᵣ² + ε) over its
/// mᵣ values per channel (momentum 0 leaves the running statistics as they are); the sums of mᵣ,
/// mᵣ·μᵣ and mᵣ·(σᵣ² + μᵣ²) over the replicas give the global mean and biased variance (count-weighted,
/// so an uneven last batch is right; μᵣ's rounding cancels to first order); an inference pass with
/// those as its statistics writes the output.</item>
/// <item>Backward: the backend's pass gives dβᵣ = Σdy and dγᵣ = Σdy·x̂ (x̂ from the global statistics,
/// so these are the parameter gradients the trainer sums) and dx for M = mᵣ. The global sums
/// T = Σ nᵣ·dβᵣ, Σ nᵣ·dγᵣ (nᵣ examples: each replica's gradient is of its own mean loss) turn
/// dx into γs·(dy − (T_β + x̂·T_γ)/(nᵣ·M)) with M the global count; the difference, an affine map
/// of x̂ per channel, is written by one more inference pass and added.</item>
/// </list>
/// </summary>
public sealed partial class BatchNormLayer
{
    private bool _synchronized;
    private Tensor? _globalMean;
    private Tensor? _globalVariance;
    private Tensor? _correctionScale;
    private Tensor? _correctionShift;
    private TensorBuffer? _correction;
    private double[] _sums = [];
    private double[] _channel = [];
    private double[] _invStd = [];
    private float[] _single = [];
    private double _globalCount;
    private long _localCount;
    private int _localBatch;

    /// <inheritdoc/>
    public ICrossReplicaSum? CrossReplicaSum { get; set; }

    private Tensor ForwardSynchronized(Tensor x)
    {
        int channels = InputShape[0];
        PrepareSynchronized(channels);
        long values = x.ElementCount / channels;
        Tensor y = OutputBuffer(training: true).Like(x);
        Span<double> sums = _sums.AsSpan(0, (2 * channels) + 1);
        Span<double> mean = _channel;
        if (values >= 2)
        {
            Backend.BatchNormForward(x, _gamma!.Value, _beta!.Value, _runningMean!, _runningVariance!, _savedMean!, _savedInvStd!,
                y, epsilon, momentum: 0, training: true);
            Read(_savedMean!, mean);
            Read(_savedInvStd!, _invStd);
        }
        else
        {
            Read(x, mean); // one value per channel (a replica with one example of a dense input): it is the mean
            _invStd.AsSpan().Fill(1 / Math.Sqrt(epsilon));
        }
        sums[0] = values;
        for (int c = 0; c < channels; c++)
        {
            double variance = Math.Max(0, (1 / (_invStd[c] * _invStd[c])) - epsilon);
            sums[1 + c] = values * mean[c];
            sums[1 + channels + c] = values * (variance + (mean[c] * mean[c]));
        }
        CrossReplicaSum!.Sum(sums);
        double count = sums[0];
        if (count < 2)
        {
            throw ShapeError($"training needs at least 2 values per channel over all replicas to estimate a variance; they have {count}");
        }
        Span<double> variances = _sums.AsSpan((2 * channels) + 1, channels);
        for (int c = 0; c < channels; c++)
        {
            mean[c] = sums[1 + c] / count;
            variances[c] = Math.Max(0, (sums[1 + channels + c] / count) - (mean[c] * mean[c]));
            _invStd[c] = 1 / Math.Sqrt(variances[c] + epsilon);
        }
        Write(mean, _globalMean!);
        Write(mean, _savedMean!);
        Write(variances, _globalVariance!);
        Write(_invStd, _savedInvStd!);
        Backend.BatchNormForward(x, _gamma!.Value, _beta!.Value, _globalMean!, _globalVariance!, _savedMean!, _savedInvStd!,
            y, epsilon, momentum, training: false);
        // The running statistics follow the global ones (PyTorch's rule: the variance unbiased), alike on every replica.
        Fold(_runningMean!, mean, 1);
        Fold(_runningVariance!, variances, count / (count - 1));
        _globalCount = count;
        _localCount = values;
        _localBatch = x.Shape[0];
        _synchronized = true;
        _input = x;
        return y;
    }

    private void CorrectToGlobalStatistics(Tensor x, Tensor dx)
    {
        int channels = InputShape[0];
        Span<double> sums = _sums.AsSpan(0, 2 * channels);
        Span<double> local = _sums.AsSpan(2 * channels, 2 * channels);
        Read(_beta!.Gradient, local[..channels]);
        Read(_gamma!.Gradient, local[channels..]);
        for (int i = 0; i < sums.Length; i++)
        {
            sums[i] = _localBatch * local[i];
        }
        CrossReplicaSum!.Sum(sums);
        Span<double> gamma = _channel;
        Read(_gamma.Value, gamma);
        double global = _localBatch * _globalCount;
        Span<double> shift = _sums.AsSpan(4 * channels, channels);
        Span<double> scale = _sums.AsSpan(5 * channels, channels);
        for (int c = 0; c < channels; c++)
        {
            double k = gamma[c] * _invStd[c];
            shift[c] = k * ((local[c] / _localCount) - (sums[c] / global));
            scale[c] = k * ((local[channels + c] / _localCount) - (sums[channels + c] / global));
        }
        Write(shift, _correctionShift!);
        Write(scale, _correctionScale!);
        Tensor correction = _correction!.Like(x);
        Backend.BatchNormForward(x, _correctionScale!, _correctionShift!, _globalMean!, _globalVariance!, _savedMean!, _savedInvStd!,
            correction, epsilon, momentum, training: false);
        Backend.Axpby(1, correction, 1, dx);
    }

    private void PrepareSynchronized(int channels)
    {
        if (_globalMean is not null)
        {
            return;
        }
        if (DataType is not (DataType.Float32 or DataType.Float64))
        {
            throw new ConfigurationException($"layer '{Name}' ({Kind}): synchronised batch statistics need float32 or float64 values, not {DataType}");
        }
        var shape = new Shape(channels);
        _globalMean = Backend.Allocate(shape, DataType);
        _globalVariance = Backend.Allocate(shape, DataType);
        _correctionScale = Backend.Allocate(shape, DataType);
        _correctionShift = Backend.Allocate(shape, DataType);
        _correction = CreateBuffer();
        _sums = new double[6 * channels];
        _channel = new double[channels];
        _invStd = new double[channels];
        _single = new float[channels];
    }

    // r ← (1 − momentum)·r + momentum·factor·batch, in double as the backend's training pass does.
    private void Fold(Tensor running, ReadOnlySpan<double> batch, double factor)
    {
        Span<double> values = _sums.AsSpan(4 * InputShape[0], InputShape[0]);
        Read(running, values);
        for (int c = 0; c < values.Length; c++)
        {
            values[c] = ((1 - momentum) * values[c]) + (momentum * factor * batch[c]);
        }
        Write(values, running);
    }

    private void Read(Tensor source, Span<double> destination)
    {
        if (source.DataType == DataType.Float64)
        {
            Backend.CopyToHost(source, destination);
            return;
        }
        Span<float> single = _single.AsSpan(0, destination.Length);
        Backend.CopyToHost(source, single);
        for (int i = 0; i < single.Length; i++)
        {
            destination[i] = single[i];
        }
    }

    private void Write(ReadOnlySpan<double> source, Tensor destination)
    {
        if (destination.DataType == DataType.Float64)
        {
            Backend.CopyFromHost(source, destination);
            return;
        }
        Span<float> single = _single.AsSpan(0, source.Length);
        for (int i = 0; i < single.Length; i++)
        {
            single[i] = (float)source[i];
        }
        Backend.CopyFromHost<float>(single, destination);
    }

    private void DisposeSynchronized()
    {
        _globalMean?.Dispose();
        _globalVariance?.Dispose();
        _correctionScale?.Dispose();
        _correctionShift?.Dispose();
    }
}
