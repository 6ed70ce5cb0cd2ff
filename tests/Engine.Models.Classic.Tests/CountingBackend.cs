using System.Reflection;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// A decorator over a real backend that forwards every call and keeps account of the tensor memory
/// it hands out: bytes alive now, the peak since the last <see cref="ResetPeak"/>, and bytes allocated.
/// Allocation is the only call that adds live memory, so sampling after each one gives the exact peak.
/// Tensors are re-wrapped with the decorator as their backend (the SDK's decorator convention).
/// </summary>
public class CountingBackend : DispatchProxy
{
    private readonly List<TensorStorage> _live = [];
    private IBackend _inner = null!;
    private IBackend _self = null!;

    /// <summary>Bytes of tensors allocated and not yet freed.</summary>
    public long LiveBytes
    {
        get
        {
            _live.RemoveAll(s => s.IsDisposed);
            return _live.Sum(s => s.ByteLength);
        }
    }

    /// <summary>The most <see cref="LiveBytes"/> seen since the last reset.</summary>
    public long PeakBytes { get; private set; }

    /// <summary>Bytes allocated since the last reset (freed or not).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Allocations since the last reset.</summary>
    public int Allocations { get; private set; }

    /// <summary>Starts a new measurement from the memory alive now.</summary>
    public void ResetPeak()
    {
        PeakBytes = LiveBytes;
        AllocatedBytes = 0;
        Allocations = 0;
    }

    /// <summary>Wraps <paramref name="inner"/>; the returned object is both the backend and its counter.</summary>
    public static (IBackend Backend, CountingBackend Counter) Wrap(IBackend inner)
    {
        IBackend proxy = Create<IBackend, CountingBackend>();
        var counter = (CountingBackend)(object)proxy;
        counter._inner = inner;
        counter._self = proxy;
        return (proxy, counter);
    }

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        try
        {
            object? result = targetMethod!.Invoke(_inner, args);
            if (result is Tensor t && targetMethod.Name == nameof(IBackend.Allocate))
            {
                _live.Add(t.Storage);
                AllocatedBytes += t.Storage.ByteLength;
                Allocations++;
                PeakBytes = Math.Max(PeakBytes, LiveBytes);
                return new Tensor(_self, t.Storage, t.Shape, t.DataType);
            }
            return result;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
