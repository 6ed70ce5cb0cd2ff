using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>The backend's pool lent to callers for whole pieces of their work (<see cref="IParallelWorkers"/>).</summary>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public int WorkerCount => OpenBlasLibrary.ThreadCount;

    /// <inheritdoc/>
    /// <remarks>
    /// The bodies are the items of one pool loop: while it runs, every loop a body starts (a
    /// convolution's samples, a GEMM's row blocks) finds the pool busy and runs on the body's
    /// thread alone, as <see cref="WorkerPool"/> documents; the kernels' results do not depend on that.
    /// </remarks>
    public unsafe void RunParallel(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        GCHandle handle = GCHandle.Alloc(body);
        try
        {
            WorkerPool.For(count, count, &Run, (void*)GCHandle.ToIntPtr(handle));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw(); // the body's own exception, as a serial loop throws it
        }
        finally
        {
            handle.Free();
        }
    }

    private static unsafe void Run(void* state, int item, int worker) =>
        ((Action<int>)GCHandle.FromIntPtr((nint)state).Target!)(item);
}
