namespace Engine.Core;

/// <summary>
/// One backend tensor kept between calls (a loss's or regulariser's working memory): reallocated
/// only when the backend, data type or dimensions asked for change. Dimensions are compared in place
/// so that a training loop in its steady state allocates nothing, not even a <see cref="Shape"/>.
/// </summary>
internal sealed class TensorSlot : IDisposable
{
    private Tensor? _tensor;

    /// <summary>A tensor of <paramref name="shape"/> (contents undefined unless unchanged since the last call).</summary>
    public Tensor Get(IBackend backend, DataType dataType, Shape shape)
    {
        if (_tensor is null || _tensor.Backend != backend || _tensor.DataType != dataType || _tensor.Shape != shape)
        {
            Replace(backend.Allocate(shape, dataType));
        }
        return _tensor!;
    }

    /// <summary>A rows×columns matrix.</summary>
    public Tensor Get(IBackend backend, DataType dataType, int rows, int columns)
    {
        if (_tensor is null || _tensor.Backend != backend || _tensor.DataType != dataType || _tensor.Shape.Rank != 2
            || _tensor.Shape[0] != rows || _tensor.Shape[1] != columns)
        {
            Replace(backend.Allocate(new Shape(rows, columns), dataType));
        }
        return _tensor!;
    }

    /// <summary>A one-element tensor.</summary>
    public Tensor Scalar(IBackend backend, DataType dataType)
    {
        if (_tensor is null || _tensor.Backend != backend || _tensor.DataType != dataType)
        {
            Replace(backend.Allocate(new Shape(1), dataType));
        }
        return _tensor!;
    }

    /// <summary>Frees the tensor.</summary>
    public void Dispose()
    {
        _tensor?.Dispose();
        _tensor = null;
    }

    private void Replace(Tensor tensor)
    {
        _tensor?.Dispose();
        _tensor = tensor;
    }
}
