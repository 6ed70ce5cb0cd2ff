namespace Engine;

/// <summary>
/// A learned tensor and its gradient. A layer's backward pass overwrites <see cref="Gradient"/>
/// (it does not accumulate across steps); an optimiser reads it and updates <see cref="Value"/>.
/// The owning layer disposes both.
/// </summary>
public sealed class Parameter : IDisposable
{
    /// <summary>Creates a parameter named <paramref name="name"/> (e.g. <c>dense1.weight</c>).</summary>
    public Parameter(string name, Tensor value, Tensor gradient)
    {
        if (value.Shape != gradient.Shape)
        {
            throw new ArgumentException($"parameter '{name}': gradient shape {gradient.Shape} differs from value shape {value.Shape}");
        }
        Name = name;
        Value = value;
        Gradient = gradient;
    }

    /// <summary>Fully qualified name, unique in a model.</summary>
    public string Name { get; }

    /// <summary>The learned values.</summary>
    public Tensor Value { get; }

    /// <summary>d(loss)/d(value) from the latest backward pass.</summary>
    public Tensor Gradient { get; }

    /// <summary>A frozen parameter is left alone by optimisers (transfer learning).</summary>
    public bool Frozen { get; set; }

    /// <summary>Frees value and gradient.</summary>
    public void Dispose()
    {
        Value.Dispose();
        Gradient.Dispose();
    }
}
