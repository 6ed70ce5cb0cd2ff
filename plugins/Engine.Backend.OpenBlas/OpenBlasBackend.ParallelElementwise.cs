using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Activations and 2×2 pooling on large tensors, split over the backend's <see cref="WorkerPool"/>.
/// They are memory-bound, but in a small CNN they run on the biggest tensors (a LeNet step spends
/// about a tenth of its time here), and between two parallel convolutions a single-threaded pass
/// would leave the second core idle.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <summary>Below this many elements an element-wise pass stays on the calling thread.</summary>
    private const int ParallelElements = 1 << 15;

    /// <summary>Element ranges are cut at multiples of this (a cache line of doubles, two of floats).</summary>
    private const int ParallelAlignment = 16;

    private unsafe struct ElementwiseJob<T> where T : unmanaged
    {
        public Activation Activation;
        public T Alpha;
        public T* X, Y, Dy, Dx;
        public int Count, Parts;
        public PoolPlan Plan;
        public bool Max;

        /// <summary>The range [first, end) of part <paramref name="part"/> of <paramref name="total"/> units, cut at multiples of <paramref name="unit"/>.</summary>
        public readonly (int First, int End) Range(int part, int total, int unit)
        {
            long chunks = (total + (long)unit - 1) / unit;
            int first = (int)Math.Min(total, chunks * part / Parts * unit);
            int end = (int)Math.Min(total, chunks * (part + 1) / Parts * unit);
            return (first, end);
        }
    }

    /// <summary>How many pieces a pass over <paramref name="elements"/> elements is cut into (1: run it inline).</summary>
    private static int ElementwiseParts(long elements) =>
        elements < ParallelElements ? 1 : (int)Math.Min(WorkerPool.Width, elements / (ParallelElements / 2));

    private static unsafe void ParallelActivationForward<T>(Activation activation, T* x, T* y, int count, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ElementwiseJob<T> { Activation = activation, Alpha = alpha, X = x, Y = y, Count = count, Parts = ElementwiseParts(count) };
        if (job.Parts <= 1)
        {
            ActivationForwardKernel(activation, new ReadOnlySpan<T>(x, count), new Span<T>(y, count), alpha);
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &ActivationForwardPart<T>, &job);
    }

    private static unsafe void ActivationForwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ElementwiseJob<T> j = ref *(ElementwiseJob<T>*)state;
        (int first, int end) = j.Range(part, j.Count, ParallelAlignment);
        ActivationForwardKernel(j.Activation, new ReadOnlySpan<T>(j.X + first, end - first), new Span<T>(j.Y + first, end - first), j.Alpha);
    }

    private static unsafe void ParallelActivationBackward<T>(Activation activation, T* x, T* y, T* dy, T* dx, int count, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ElementwiseJob<T> { Activation = activation, Alpha = alpha, X = x, Y = y, Dy = dy, Dx = dx, Count = count, Parts = ElementwiseParts(count) };
        if (job.Parts <= 1)
        {
            ActivationBackwardKernel(activation, new ReadOnlySpan<T>(x, count), new ReadOnlySpan<T>(y, count), new ReadOnlySpan<T>(dy, count), new Span<T>(dx, count), alpha);
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &ActivationBackwardPart<T>, &job);
    }

    private static unsafe void ActivationBackwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ElementwiseJob<T> j = ref *(ElementwiseJob<T>*)state;
        (int first, int end) = j.Range(part, j.Count, ParallelAlignment);
        int n = end - first;
        ActivationBackwardKernel(j.Activation, new ReadOnlySpan<T>(j.X + first, n), new ReadOnlySpan<T>(j.Y + first, n),
            new ReadOnlySpan<T>(j.Dy + first, n), new Span<T>(j.Dx + first, n), j.Alpha);
    }

    /// <summary>2×2 stride-2 pooling forward, planes split over the pool.</summary>
    private static unsafe void ParallelPoolForwardTwoByTwo<T>(in PoolPlan p, bool max, T* x, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ElementwiseJob<T> { Plan = p, Max = max, X = x, Y = y, Parts = Math.Min(ElementwiseParts((long)p.Planes * p.InVolume), p.Planes) };
        if (job.Parts <= 1)
        {
            PoolForwardTwoByTwo(p, max, new ReadOnlySpan<T>(x, p.Planes * p.InVolume), new Span<T>(y, p.Planes * p.OutVolume));
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &PoolForwardPart<T>, &job);
    }

    private static unsafe void PoolForwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ElementwiseJob<T> j = ref *(ElementwiseJob<T>*)state;
        (int first, int end) = j.Range(part, j.Plan.Planes, 1);
        PoolPlan p = j.Plan with { Planes = end - first };
        PoolForwardTwoByTwo(p, j.Max, new ReadOnlySpan<T>(j.X + (long)first * p.InVolume, p.Planes * p.InVolume),
            new Span<T>(j.Y + (long)first * p.OutVolume, p.Planes * p.OutVolume));
    }

    /// <summary>2×2 stride-2 pooling backward, planes split over the pool.</summary>
    private static unsafe void ParallelPoolBackwardTwoByTwo<T>(in PoolPlan p, bool max, T* x, T* dy, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ElementwiseJob<T> { Plan = p, Max = max, X = x, Dy = dy, Dx = dx, Parts = Math.Min(ElementwiseParts((long)p.Planes * p.InVolume), p.Planes) };
        if (job.Parts <= 1)
        {
            PoolBackwardTwoByTwo(p, max, new ReadOnlySpan<T>(x, p.Planes * p.InVolume), new ReadOnlySpan<T>(dy, p.Planes * p.OutVolume), new Span<T>(dx, p.Planes * p.InVolume));
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &PoolBackwardPart<T>, &job);
    }

    private static unsafe void PoolBackwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ElementwiseJob<T> j = ref *(ElementwiseJob<T>*)state;
        (int first, int end) = j.Range(part, j.Plan.Planes, 1);
        PoolPlan p = j.Plan with { Planes = end - first };
        PoolBackwardTwoByTwo(p, j.Max, new ReadOnlySpan<T>(j.X + (long)first * p.InVolume, p.Planes * p.InVolume),
            new ReadOnlySpan<T>(j.Dy + (long)first * p.OutVolume, p.Planes * p.OutVolume),
            new Span<T>(j.Dx + (long)first * p.InVolume, p.Planes * p.InVolume));
    }
}
