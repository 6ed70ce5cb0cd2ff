using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Limits gradients before the optimiser step: first every element to [−max value, max value],
/// then, when the global L2 norm over all trainable parameters exceeds max norm, every gradient is
/// multiplied by max norm / norm (no epsilon, so the clipped norm equals max norm). Frozen
/// parameters are skipped. Everything happens on the backend: the norm is summed in double with
/// <see cref="IBackend.SumOfSquares"/> and applied with <see cref="IBackend.ClipToNorm"/>, which
/// decides there, so a step makes no host read (reading <see cref="LastNorm"/> is one, on request).
/// Value clipping uses the constant bounds ±max value seen through per-parameter views of one
/// workspace made once, so a step allocates nothing. The caller owns and disposes it.
/// </summary>
public sealed class GradientClipping : IDisposable
{
    private readonly Dictionary<DataType, Workspace> _workspaces = [];
    private readonly Dictionary<Parameter, (Tensor Lower, Tensor Upper)> _views = [];
    private readonly double[] _host = new double[1];
    private Tensor? _sumOfSquares;
    private bool _measured;

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

    /// <summary>
    /// The global norm measured by the latest <see cref="Apply"/>, after value clipping and before
    /// norm clipping (NaN when not clipping by norm, or before the first call). Reading it is a host
    /// read that waits for the backend's queued work: the training loop never reads it.
    /// </summary>
    public double LastNorm
    {
        get
        {
            if (!_measured || _sumOfSquares is null)
            {
                return double.NaN;
            }
            _sumOfSquares.Backend.CopyToHost<double>(_sumOfSquares, _host);
            return Math.Sqrt(_host[0]);
        }
    }

    /// <summary>E.g. <c>norm ≤ 5, value ≤ 1</c>.</summary>
    public string Description => string.Join(", ", new[]
    {
        double.IsPositiveInfinity(MaxNorm) ? null : FormattableString.Invariant($"norm ≤ {MaxNorm}"),
        double.IsPositiveInfinity(MaxValue) ? null : FormattableString.Invariant($"value ≤ {MaxValue}"),
    }.Where(s => s is not null).DefaultIfEmpty("none"));

    /// <summary>
    /// Clips the gradients of the trainable <paramref name="parameters"/> in place, on the backend
    /// (no host read). A non-finite norm leaves the gradients as value clipping left them.
    /// </summary>
    public void Apply(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _measured = false;
        if (!double.IsPositiveInfinity(MaxValue))
        {
            for (int i = 0; i < parameters.Count; i++) // indexing: a foreach over the interface would allocate an enumerator
            {
                Parameter p = parameters[i];
                if (!p.Frozen)
                {
                    var (lower, upper) = Views(parameters, p);
                    IBackend backend = p.Gradient.Backend;
                    backend.Binary(BinaryOp.Min, p.Gradient, upper, p.Gradient);
                    backend.Binary(BinaryOp.Max, p.Gradient, lower, p.Gradient);
                }
            }
        }
        if (double.IsPositiveInfinity(MaxNorm))
        {
            return;
        }
        Tensor? total = null;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                IBackend backend = p.Gradient.Backend;
                _sumOfSquares ??= backend.Allocate(new Shape(1), DataType.Float64);
                backend.SumOfSquares(p.Gradient, _sumOfSquares, beta: total is null ? 0 : 1);
                total = _sumOfSquares;
            }
        }
        if (total is null)
        {
            return; // nothing trainable: the norm is 0, nothing to scale
        }
        _measured = true;
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i];
            if (!p.Frozen)
            {
                p.Gradient.Backend.ClipToNorm(total, MaxNorm, p.Gradient);
            }
        }
    }

    /// <summary>Frees the workspaces.</summary>
    public void Dispose()
    {
        foreach (Workspace w in _workspaces.Values)
        {
            w.Dispose();
        }
        _workspaces.Clear();
        _views.Clear();
        _sumOfSquares?.Dispose();
        _sumOfSquares = null;
        _measured = false;
    }

    private (Tensor Lower, Tensor Upper) Views(IReadOnlyList<Parameter> parameters, Parameter p) =>
        _views.TryGetValue(p, out var views) ? views : CreateViews(parameters, p);

    // Kept apart from Views: its lambdas capture locals, and the closure would be allocated on every call.
    private (Tensor Lower, Tensor Upper) CreateViews(IReadOnlyList<Parameter> parameters, Parameter p)
    {
        Tensor g = p.Gradient;
        if (!_workspaces.TryGetValue(g.DataType, out Workspace? workspace) || workspace.Capacity < g.ElementCount)
        {
            // Size for the largest parameter of this type at once, so the workspace is made once.
            long largest = parameters.Where(q => q.Gradient.DataType == g.DataType).Max(q => q.Gradient.ElementCount);
            workspace?.Dispose();
            workspace = new Workspace(g.Backend, g.DataType, largest, MaxValue);
            _workspaces[g.DataType] = workspace;
            foreach (Parameter stale in _views.Keys.Where(q => q.Gradient.DataType == g.DataType).ToList())
            {
                _views.Remove(stale);
            }
        }
        var views = (Workspace.View(g.Shape, workspace.Lower), Workspace.View(g.Shape, workspace.Upper));
        _views[p] = views;
        return views;
    }

    // The constant bounds of value clipping (Binary takes tensors, not scalars).
    private sealed class Workspace : IDisposable
    {
        public Workspace(IBackend backend, DataType type, long capacity, double maxValue)
        {
            var shape = new Shape(checked((int)capacity));
            Capacity = capacity;
            Lower = backend.Allocate(shape, type);
            Upper = backend.Allocate(shape, type);
            backend.Fill(Lower, -maxValue);
            backend.Fill(Upper, maxValue);
        }

        public long Capacity { get; }

        public Tensor Lower { get; }

        public Tensor Upper { get; }

        /// <summary>The first elements of <paramref name="buffer"/> seen with <paramref name="shape"/> (no copy, not owning).</summary>
        public static Tensor View(Shape shape, Tensor buffer) => new(buffer.Backend, buffer.Storage, shape, buffer.DataType, ownsStorage: false);

        public void Dispose()
        {
            Lower.Dispose();
            Upper.Dispose();
        }
    }
}
