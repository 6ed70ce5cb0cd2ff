namespace Engine;

/// <summary>
/// A learned tensor and its gradient. A layer's backward pass overwrites <see cref="Gradient"/>
/// (it does not accumulate across steps); an optimiser reads it and updates <see cref="Value"/>.
/// The owning layer disposes both.
/// </summary>
public sealed class Parameter : IDisposable
{
    private Tensor? _gradient;

    /// <summary>
    /// Creates a parameter named <paramref name="name"/> whose gradient is allocated, on the value's
    /// backend, when it is first used: a model that only runs inference holds no gradients.
    /// </summary>
    public Parameter(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Name = name;
        Value = value;
    }

    /// <summary>Creates a parameter named <paramref name="name"/> (e.g. <c>dense1.weight</c>) with a gradient tensor allocated by the caller.</summary>
    public Parameter(string name, Tensor value, Tensor gradient)
    {
        if (value.Shape != gradient.Shape)
        {
            throw new ArgumentException($"parameter '{name}': gradient shape {gradient.Shape} differs from value shape {value.Shape}");
        }
        Name = name;
        Value = value;
        _gradient = gradient;
    }

    /// <summary>Fully qualified name, unique in a model.</summary>
    public string Name { get; }

    /// <summary>The learned values.</summary>
    public Tensor Value { get; }

    /// <summary>
    /// d(loss)/d(value) from the latest backward pass. Allocated on first use and zeroed then, so a
    /// parameter that no path to the loss reaches (a dead branch, whose layer backward skips) has a
    /// zero gradient, not uninitialised memory an optimiser would apply.
    /// </summary>
    public Tensor Gradient
    {
        get
        {
            if (_gradient is null)
            {
                Value.Storage.ThrowIfDisposed();
                _gradient = Value.Backend.Allocate(Value.Shape, Value.DataType);
                Value.Backend.Fill(_gradient, 0);
            }
            return _gradient;
        }
    }

    /// <summary>Whether <see cref="Gradient"/> has been allocated (false for a model used only for inference).</summary>
    public bool HasGradient => _gradient is not null;

    /// <summary>A frozen parameter is left alone by optimisers (transfer learning).</summary>
    public bool Frozen { get; set; }

    /// <summary>Frees value and gradient.</summary>
    public void Dispose()
    {
        Value.Dispose();
        _gradient?.Dispose();
    }
}
