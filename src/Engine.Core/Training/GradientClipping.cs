using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Limits gradients before the optimiser step: first every element to [−max value, max value],
/// then, when the global L2 norm over all trainable parameters exceeds max norm, every gradient is
/// multiplied by max norm / norm (no epsilon, so the clipped norm equals max norm). Frozen
/// parameters are skipped. Uses backend ops only: the squared norm is a 1×n·n×1 product per
/// parameter accumulated in one scalar, and the value bounds are two constant tensors shared by all
/// parameters through views made once; a step allocates nothing. The caller owns and disposes it.
/// </summary>
public sealed class GradientClipping : IDisposable
{
    private readonly Dictionary<Parameter, (Tensor Row, Tensor? Lower, Tensor? Upper)> _views = [];
    private readonly Dictionary<DataType, TensorSlot> _sums = [];
    private readonly Dictionary<DataType, (Tensor Lower, Tensor Upper)> _bounds = [];
    private readonly float[] _hostFloat = new float[1];
    private readonly double[] _hostDouble = new double[1];

    /// <summary>Clips by global norm (<paramref name="maxNorm"/>) and/or by value (<paramref name="maxValue"/>); infinity disables either.</summary>
    public GradientClipping(double maxNorm = double.PositiveInfinity, double maxValue = double.PositiveInfinity)
    {
        if (!(maxNorm > 0))
        {
            throw new ConfigurationException($"gradient clipping: max norm must be positive, got {maxNorm.ToString(CultureInfo.InvariantCulture)}");
        }
        if (!(maxValue > 0))
        {
            throw new ConfigurationException($"gradient clipping: max value must be positive, got {maxValue.ToString(CultureInfo.InvariantCulture)}");
        }
        MaxNorm = maxNorm;
        MaxValue = maxValue;
    }

    /// <summary>Largest global L2 norm let through (infinity: not clipped by norm).</summary>
    public double MaxNorm { get; }

    /// <summary>Largest absolute gradient element let through (infinity: not clipped by value).</summary>
    public double MaxValue { get; }

    /// <summary>The global norm measured by the latest <see cref="Apply"/>, before norm clipping (NaN when not clipping by norm).</summary>
    public double LastNorm { get; private set; } = double.NaN;

    /// <summary>E.g. <c>norm ≤ 5, value ≤ 1</c>.</summary>
    public string Description => string.Join(", ", new[]
    {
        double.IsPositiveInfinity(MaxNorm) ? null : FormattableString.Invariant($"norm ≤ {MaxNorm}"),
        double.IsPositiveInfinity(MaxValue) ? null : FormattableString.Invariant($"value ≤ {MaxValue}"),
    }.Where(s => s is not null).DefaultIfEmpty("none"));

    /// <summary>Clips the gradients of the trainable <paramref name="parameters"/> in place; returns the norm before norm clipping (NaN if not measured).</summary>
    public double Apply(IReadOnlyList<Parameter> parameters)
    {
        bool byValue = !double.IsPositiveInfinity(MaxValue);
        bool byNorm = !double.IsPositiveInfinity(MaxNorm);
        if (byValue)
        {
            EnsureBounds(parameters, DataType.Float32);
            EnsureBounds(parameters, DataType.Float64);
            foreach (Parameter p in parameters)
            {
                if (!p.Frozen)
                {
                    var (_, lower, upper) = Views(p, bounds: true);
                    p.Value.Backend.Binary(BinaryOp.Min, p.Gradient, upper!, p.Gradient);
                    p.Value.Backend.Binary(BinaryOp.Max, p.Gradient, lower!, p.Gradient);
                }
            }
        }
        LastNorm = double.NaN;
        if (!byNorm)
        {
            return double.NaN;
        }
        double norm = Math.Sqrt(SumOfSquares(parameters, DataType.Float32) + SumOfSquares(parameters, DataType.Float64));
        LastNorm = norm;
        if (norm > MaxNorm && double.IsFinite(norm))
        {
            double scale = MaxNorm / norm;
            foreach (Parameter p in parameters)
            {
                if (!p.Frozen)
                {
                    p.Value.Backend.Axpby(0, p.Gradient, scale, p.Gradient);
                }
            }
        }
        return norm;
    }

    /// <summary>Frees the scratch tensors.</summary>
    public void Dispose()
    {
        foreach (TensorSlot slot in _sums.Values)
        {
            slot.Dispose();
        }
        foreach (var (lower, upper) in _bounds.Values)
        {
            lower.Dispose();
            upper.Dispose();
        }
        _sums.Clear();
        _bounds.Clear();
        _views.Clear();
    }

    private double SumOfSquares(IReadOnlyList<Parameter> parameters, DataType type)
    {
        Tensor? sum = null;
        IBackend? backend = null;
        foreach (Parameter p in parameters)
        {
            if (p.Frozen || p.Gradient.DataType != type)
            {
                continue;
            }
            backend = p.Gradient.Backend;
            if (sum is null)
            {
                if (!_sums.TryGetValue(type, out TensorSlot? slot))
                {
                    slot = new TensorSlot();
                    _sums[type] = slot;
                }
                sum = slot.Get(backend, type, 1, 1);
                backend.Fill(sum, 0);
            }
            Tensor row = Views(p, bounds: false).Row;
            backend.Gemm(false, true, 1, row, row, 1, sum); // sum += g·gᵀ
        }
        if (sum is null)
        {
            return 0;
        }
        if (type == DataType.Float64)
        {
            backend!.CopyToHost<double>(sum, _hostDouble);
            return _hostDouble[0];
        }
        backend!.CopyToHost<float>(sum, _hostFloat);
        return _hostFloat[0];
    }

    // A 1×n view of the gradient (for the product) and n-element views of the shared bounds.
    private (Tensor Row, Tensor? Lower, Tensor? Upper) Views(Parameter p, bool bounds)
    {
        if (!_views.TryGetValue(p, out var views) || (bounds && views.Lower is null))
        {
            Tensor g = p.Gradient;
            Tensor row = views.Row ?? g.Reshape(new Shape(1, checked((int)g.ElementCount)));
            Tensor? lower = null, upper = null;
            if (bounds)
            {
                var (lowerAll, upperAll) = Bounds(g.Backend, g.DataType, g.ElementCount);
                lower = new Tensor(g.Backend, lowerAll.Storage, g.Shape, g.DataType, ownsStorage: false);
                upper = new Tensor(g.Backend, upperAll.Storage, g.Shape, g.DataType, ownsStorage: false);
            }
            views = (row, lower, upper);
            _views[p] = views;
        }
        return views;
    }

    private void EnsureBounds(IReadOnlyList<Parameter> parameters, DataType type)
    {
        long largest = 0;
        IBackend? backend = null;
        foreach (Parameter p in parameters)
        {
            if (!p.Frozen && p.Gradient.DataType == type && p.Gradient.ElementCount > largest)
            {
                largest = p.Gradient.ElementCount;
                backend = p.Gradient.Backend;
            }
        }
        if (backend is not null)
        {
            Bounds(backend, type, largest);
        }
    }

    // Constant tensors −max value and +max value, as long as the largest parameter seen; growing
    // them invalidates the views made so far.
    private (Tensor Lower, Tensor Upper) Bounds(IBackend backend, DataType type, long elements)
    {
        if (_bounds.TryGetValue(type, out var b) && b.Lower.ElementCount >= elements)
        {
            return b;
        }
        if (_bounds.Remove(type, out var old))
        {
            old.Lower.Dispose();
            old.Upper.Dispose();
            foreach (Parameter stale in _views.Where(kv => kv.Value.Lower?.DataType == type).Select(kv => kv.Key).ToList())
            {
                _views[stale] = (_views[stale].Row, null, null);
            }
        }
        var shape = new Shape(checked((int)elements));
        b = (backend.Allocate(shape, type), backend.Allocate(shape, type));
        backend.Fill(b.Lower, -MaxValue);
        backend.Fill(b.Upper, MaxValue);
        _bounds[type] = b;
        return b;
    }
}
