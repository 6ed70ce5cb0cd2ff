using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Host memory for a tensor of the OpenBLAS backend: a native block aligned to
/// <see cref="Alignment"/> bytes (a cache line, and a whole AVX-512 vector; a huge page for large blocks, <see cref="HugePages"/>), outside the GC heap so
/// that it never moves while OpenBLAS works on it. Dispose the owning tensor to free it; the
/// finalizer frees a forgotten block as a safety net.
/// </summary>
public sealed unsafe class CpuStorage : TensorStorage
{
    /// <summary>Alignment of every block, in bytes.</summary>
    public const int Alignment = 64;

    private void* _pointer;
    private readonly long _pressure;
    private readonly bool _mapped;

    /// <summary>Filters derived from this tensor and cached while it is unchanged (<see cref="DerivedFilters"/>), or null; freed with it.</summary>
    internal DerivedFilters? Derived;

    /// <summary>
    /// Where this block's contents were last copied from whole (<see cref="OpenBlasBackend.Copy"/>), or null, with
    /// <see cref="OriginVersion"/> (the source's version then) and <see cref="CopyVersion"/> (this block's after the copy).
    /// While both versions still hold the two blocks are equal, and <see cref="DerivedFilters"/> serves this one from the
    /// source's cache. Plain fields, set by the copy (a write: no kernel reads the block meanwhile), so a copy allocates nothing.
    /// </summary>
    internal CpuStorage? Origin;

    /// <summary>See <see cref="Origin"/>.</summary>
    internal long OriginVersion, CopyVersion;

    /// <summary>Allocates <paramref name="byteLength"/> uninitialised bytes for <paramref name="owner"/> (null: the backend's scratch memory).</summary>
    internal CpuStorage(long byteLength, IBackend? owner = null) : base(byteLength, owner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        // A zero-byte tensor still gets a distinct, valid pointer.
        _pointer = HugePages.Allocate(byteLength, Alignment, out _mapped);
        _pressure = byteLength;
        if (_pressure > 0)
        {
            // Lets the GC know that this small object holds a large block, so that leaked tensors
            // are finalised before the process runs out of memory.
            GC.AddMemoryPressure(_pressure);
        }
    }

    /// <summary>Finalizer: frees the block if the tensor was never disposed.</summary>
    ~CpuStorage() => Dispose();

    /// <summary>
    /// Address of the first byte. Throws <see cref="ObjectDisposedException"/> once freed. Code that writes
    /// the tensor through it (outside the backend's ops) must call <see cref="TensorStorage.MarkWritten"/>
    /// afterwards: caches of what was derived from the tensor (the inference split's copies of the weights,
    /// repacked filters) trust <see cref="TensorStorage.Version"/> to tell them it changed.
    /// </summary>
    public nint Pointer
    {
        get
        {
            ThrowIfDisposed();
            return (nint)_pointer;
        }
    }

    /// <inheritdoc/>
    protected override void Release()
    {
        Interlocked.Exchange(ref Derived, null)?.Dispose();
        if (_mapped)
        {
            HugePages.Free(_pointer, _pressure);
        }
        else
        {
            NativeMemory.AlignedFree(_pointer);
        }
        _pointer = null;
        if (_pressure > 0)
        {
            GC.RemoveMemoryPressure(_pressure);
        }
    }
}
