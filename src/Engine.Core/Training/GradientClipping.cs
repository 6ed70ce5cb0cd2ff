using System.Globalization;

namespace Engine.Core;

/// <summary>
/// Limits gradients before the optimiser step: first every element to [−max value, max value],
/// then, when the global L2 norm over all trainable parameters exceeds max norm, every gradient is
/// multiplied by max norm / norm (no epsilon, so the clipped norm equals max norm). Frozen
/// parameters are skipped. Uses backend ops only, with one workspace per data type as large as the
/// largest parameter (squares, and the constant bounds ±max value) seen through per-parameter views
/// made once, so a step allocates nothing and reads one scalar back. The caller owns and disposes it.
/// </summary>
public sealed class GradientClipping : IDisposable
{
    private readonly Dictionary<DataType, Workspace> _workspaces = [];
    private readonly Dictionary<Parameter, (Tensor Squares, Tensor Lower, Tensor Upper)> _views = [];
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

    /// <summary>The global norm measured by the latest <see cref="Apply"/>, after value clipping and before norm clipping (NaN when not clipping by norm).</summary>
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
        LastNorm = double.NaN;
        if (!double.IsPositiveInfinity(MaxValue))
        {
            for (int i = 0; i < parameters.Count; i++)
            {
                Parameter p = parameters[i];
                if (!p.Frozen)
                {
                    var (_, lower, upper) = Views(parameters, p);
                    IBackend backend = p.Gradient.Backend;
                    backend.Binary(BinaryOp.Min, p.Gradient, upper, p.Gradient);
                    backend.Binary(BinaryOp.Max, p.Gradient, lower, p.Gradient);
                }
            }
        }
        if (double.IsPositiveInfinity(MaxNorm))
        {
            return double.NaN;
        }
        double norm = Math.Sqrt(SumOfSquares(parameters, DataType.Float32) + SumOfSquares(parameters, DataType.Float64));
        LastNorm = norm;
        if (norm > MaxNorm && double.IsFinite(norm))
        {
            double scale = MaxNorm / norm;
            for (int i = 0; i < parameters.Count; i++)
            {
                Parameter p = parameters[i];
                if (!p.Frozen)
                {
                    p.Gradient.Backend.Axpby(0, p.Gradient, scale, p.Gradient);
                }
            }
        }
        return norm;
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
    }

    private double SumOfSquares(IReadOnlyList<Parameter> parameters, DataType type)
    {
        Workspace? workspace = null;
        for (int i = 0; i < parameters.Count; i++) // indexing: a foreach over the interface would allocate an enumerator
        {
            Parameter p = parameters[i];
            if (p.Frozen || p.Gradient.DataType != type)
            {
                continue;
            }
            IBackend backend = p.Gradient.Backend;
            Tensor squares = Views(parameters, p).Squares;
            if (workspace is null)
            {
                workspace = _workspaces[type];
                backend.Fill(workspace.Total, 0);
            }
            backend.Unary(UnaryOp.Square, p.Gradient, squares);
            backend.Sum(squares, workspace.Partial);
            backend.Axpby(1, workspace.Partial, 1, workspace.Total);
        }
        if (workspace is null)
        {
            return 0;
        }
        Tensor total = workspace.Total;
        if (type == DataType.Float64)
        {
            total.Backend.CopyToHost<double>(total, _hostDouble);
            return _hostDouble[0];
        }
        total.Backend.CopyToHost<float>(total, _hostFloat);
        return _hostFloat[0];
    }

    private (Tensor Squares, Tensor Lower, Tensor Upper) Views(IReadOnlyList<Parameter> parameters, Parameter p) =>
        _views.TryGetValue(p, out var views) ? views : CreateViews(parameters, p);

    // Kept apart from Views: its lambdas capture locals, and the closure would be allocated on every call.
    private (Tensor Squares, Tensor Lower, Tensor Upper) CreateViews(IReadOnlyList<Parameter> parameters, Parameter p)
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
        var views = (workspace.View(g.Shape, workspace.Squares), workspace.View(g.Shape, workspace.Lower), workspace.View(g.Shape, workspace.Upper));
        _views[p] = views;
        return views;
    }

    private sealed class Workspace : IDisposable
    {
        public Workspace(IBackend backend, DataType type, long capacity, double maxValue)
        {
            var shape = new Shape(checked((int)capacity));
            Capacity = capacity;
            Squares = backend.Allocate(shape, type);
            Lower = backend.Allocate(shape, type);
            Upper = backend.Allocate(shape, type);
            Partial = backend.Allocate(new Shape(1), type);
            Total = backend.Allocate(new Shape(1), type);
            if (double.IsFinite(maxValue))
            {
                backend.Fill(Lower, -maxValue);
                backend.Fill(Upper, maxValue);
            }
        }

        public long Capacity { get; }

        public Tensor Squares { get; }

        public Tensor Lower { get; }

        public Tensor Upper { get; }

        public Tensor Partial { get; }

        public Tensor Total { get; }

        /// <summary>The first elements of <paramref name="buffer"/> seen with <paramref name="shape"/> (no copy, not owning).</summary>
        public Tensor View(Shape shape, Tensor buffer) => new(buffer.Backend, buffer.Storage, shape, buffer.DataType, ownsStorage: false);

        public void Dispose()
        {
            Squares.Dispose();
            Lower.Dispose();
            Upper.Dispose();
            Partial.Dispose();
            Total.Dispose();
        }
    }
}
