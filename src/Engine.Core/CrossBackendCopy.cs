namespace Engine.Core;

/// <summary>
/// An explicit copy of a tensor from one backend to another through host memory, for a layer
/// placed on a fallback backend. The host staging array only grows and the destination tensor is
/// reallocated only when the shape or type changes, so a steady-state step allocates nothing. The
/// result is owned by this object and valid until the next <see cref="Copy"/> or <see cref="Dispose"/>.
/// </summary>
internal sealed class CrossBackendCopy : IDisposable
{
    private float[] _single = [];
    private double[] _double = [];
    private int[] _int32 = [];
    private Tensor? _destination;

    /// <summary>Copies <paramref name="source"/> to a tensor of the same shape and type on <paramref name="target"/>.</summary>
    public Tensor Copy(Tensor source, IBackend target)
    {
        if (_destination is null || _destination.Shape != source.Shape || _destination.DataType != source.DataType || _destination.Backend != target)
        {
            _destination?.Dispose();
            _destination = null;
            _destination = target.Allocate(source.Shape, source.DataType);
        }
        int n = checked((int)source.ElementCount);
        switch (source.DataType)
        {
            case DataType.Float32:
                Through(source, _destination, Grow(ref _single, n));
                break;
            case DataType.Float64:
                Through(source, _destination, Grow(ref _double, n));
                break;
            case DataType.Int32:
                Through(source, _destination, Grow(ref _int32, n));
                break;
            default:
                throw new NotSupportedException($"no host copy for {source.DataType}");
        }
        return _destination;
    }

    /// <summary>Frees the destination tensor.</summary>
    public void Dispose()
    {
        _destination?.Dispose();
        _destination = null;
    }

    private static void Through<T>(Tensor source, Tensor destination, Span<T> host) where T : unmanaged
    {
        source.Backend.CopyToHost(source, host);
        destination.Backend.CopyFromHost<T>(host, destination);
    }

    private static Span<T> Grow<T>(ref T[] array, int count)
    {
        if (array.Length < count)
        {
            array = new T[count];
        }
        return array.AsSpan(0, count);
    }
}
