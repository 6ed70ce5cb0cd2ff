namespace Engine.Backend.OpenBlas;

/// <summary>
/// The scratch memory of convolution and locally connected calls (column matrices), kept by the
/// backend and handed to <see cref="ConvolutionKernels"/> so that the steady state of a training
/// loop allocates nothing.
/// </summary>
/// <remarks>
/// A cached block is taken out of its slot for the length of a call and put back afterwards, so
/// two threads calling at once never share one. There are a few slots, so that threads running
/// convolutions side by side (the batch split of small networks, <see cref="IParallelWorkers"/>)
/// each keep a block instead of allocating one per call; a block put back when every slot is full
/// is freed. A block only grows (to the largest call that used it); a smaller call uses the front of
/// it. They are freed with the backend.
/// </remarks>
internal sealed class ConvolutionWorkspace
{
    private readonly CpuStorage?[] _blocks = new CpuStorage?[4];

    /// <summary>Takes a scratch block of at least <paramref name="elements"/> elements of <typeparamref name="T"/>.</summary>
    public CpuStorage Rent<T>(long elements) where T : unmanaged
    {
        long bytes = elements * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        CpuStorage? block = null;
        for (int i = 0; i < _blocks.Length && block is null; i++)
        {
            block = Interlocked.Exchange(ref _blocks[i], null);
        }
        if (block is null || block.ByteLength < bytes)
        {
            block?.Dispose();
            block = new CpuStorage(bytes);
        }
        return block;
    }

    /// <summary>Puts a block back into a free slot (freed when there is none).</summary>
    public void Return(CpuStorage block)
    {
        for (int i = 0; i < _blocks.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _blocks[i], block, null) is null)
            {
                return;
            }
        }
        block.Dispose();
    }

    /// <summary>Frees the cached blocks (called when the backend is disposed).</summary>
    public void Release()
    {
        for (int i = 0; i < _blocks.Length; i++)
        {
            Interlocked.Exchange(ref _blocks[i], null)?.Dispose();
        }
    }

    /// <summary>Bytes held by the cached scratch blocks (0 when none); for tests.</summary>
    public long Bytes => _blocks.Sum(b => b?.ByteLength ?? 0);
}
