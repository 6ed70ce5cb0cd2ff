namespace Engine.Core;

/// <summary>
/// A backend whose tensors have a shape but no memory, for building a network only to read its
/// structure (<c>engine summary</c>: shapes, parameter counts, costs). A 1.6-billion-parameter model
/// then costs nothing instead of 6 GB. Capability questions go to the real backend it wraps, so layer
/// placement and refusals are those of a real build; parameter initialisation and loading (fills,
/// random fills, copies from the host) do nothing, and copies to the host read zeros (so weights can be
/// matched against a file by name and shape); any computation on its tensors fails, as they hold no values.
/// </summary>
/// <param name="inner">The backend the network would run on; it is asked what it supports, and not disposed.</param>
public sealed class ShapeOnlyBackend(IBackend inner) : BackendDecorator(inner, ownsInner: false)
{
    /// <summary>A tensor of <paramref name="shape"/> with no memory behind it.</summary>
    public override Tensor Allocate(Shape shape, DataType dataType = DataType.Float32) =>
        new(this, new NoMemory(checked(shape.ElementCount * dataType.SizeInBytes()), this), shape, dataType);

    /// <inheritdoc/>
    public override void Fill(Tensor x, double value)
    {
    }

    /// <inheritdoc/>
    public override void FillRandom(Tensor x, RandomDistribution distribution, double a, double b, ulong seed)
    {
    }

    /// <inheritdoc/>
    public override void CopyFromHost<T>(ReadOnlySpan<T> source, Tensor destination)
    {
    }

    /// <summary>Zeros: the tensor holds no values.</summary>
    public override void CopyToHost<T>(Tensor source, Span<T> destination) => destination.Clear();

    // Claims the tensor's size (Tensor checks that its shape fits) and owns nothing to release.
    private sealed class NoMemory(long byteLength, IBackend owner) : TensorStorage(byteLength, owner)
    {
        protected override void Release()
        {
        }
    }
}
