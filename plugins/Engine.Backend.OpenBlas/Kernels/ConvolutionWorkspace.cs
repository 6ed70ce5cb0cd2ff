namespace Engine.Backend.OpenBlas;

/// <summary>
/// The scratch memory of convolution and locally connected calls (column matrices), kept by the
/// backend and handed to <see cref="ConvolutionKernels"/> so that the steady state of a training
/// loop allocates nothing.
/// </summary>
/// <remarks>
/// The cached block is taken out of its slot for the length of a call and put back afterwards, so
/// two threads calling at once never share it: the second one gets a block of its own, which is
/// freed if the slot has been refilled by then. The block only grows (to the largest call so far);
/// a smaller call uses the front of it. It is freed with the backend.
/// </remarks>
internal sealed class ConvolutionWorkspace
{
    private CpuStorage? _block;

    /// <summary>Takes a scratch block of at least <paramref name="elements"/> elements of <typeparamref name="T"/>.</summary>
    public CpuStorage Rent<T>(long elements) where T : unmanaged
    {
        long bytes = elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        CpuStorage? block = Interlocked.Exchange(ref _block, null);
        if (block is null || block.ByteLength < bytes)
        {
            block?.Dispose();
            block = new CpuStorage(bytes);
        }
        return block;
    }

    /// <summary>Puts a block back into the slot, keeping the larger one when another thread refilled it.</summary>
    public void Return(CpuStorage block)
    {
        while (true)
        {
            CpuStorage? current = Interlocked.CompareExchange(ref _block, block, null);
            if (current is null)
            {
                return;
            }
            if (current.ByteLength >= block.ByteLength)
            {
                block.Dispose();
                return;
            }
            if (Interlocked.CompareExchange(ref _block, block, current) == current)
            {
                current.Dispose();
                return;
            }
        }
    }

    /// <summary>Frees the cached block (called when the backend is disposed).</summary>
    public void Release() => Interlocked.Exchange(ref _block, null)?.Dispose();

    /// <summary>Bytes held by the cached scratch block (0 when none); for tests.</summary>
    public long Bytes => Volatile.Read(ref _block)?.ByteLength ?? 0;
}
