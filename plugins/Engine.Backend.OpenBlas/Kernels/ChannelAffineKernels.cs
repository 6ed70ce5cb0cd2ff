using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// y[n, c, …] ← f(scale[c]·x[n, c, …] + shift[c]): a convolution's bias, the batch normalisation after it
/// and its activation in one pass (<see cref="IBackend.ChannelAffine"/>). The planes (one per sample and
/// channel) are split over the <see cref="WorkerPool"/> like the other memory-bound passes; ReLU and no
/// activation run in the same vector loop as the FMA, the other activations over the plane just written
/// (still in cache). A dense output (one position per channel) runs row by row instead. With a residual
/// r (x's shape), y = f(scale[c]·x + shift[c] + r): the affine step rounded as without it, then the add,
/// then f, so the bits of this pass without f followed by an element-wise add and the activation
/// (<see cref="IBackend.TryConvolutionForwardResidual"/>).
/// </summary>
/// <remarks>
/// The affine step is one FMA per element (rounded once) on the AVX-512 float path and a multiply and
/// an add elsewhere, so the result may differ from the layer-by-layer path, which rounds the
/// normalisation's steps separately, in the last bits.
/// </remarks>
internal static unsafe class ChannelAffineKernels
{
    /// <summary>Runs the pass on operands the contract has checked; y may be x.</summary>
    public static void Run(DataType type, nint x, nint scale, nint shift, nint y, int batch, int channels, int spatial, Activation? activation, double alpha,
        nint residual = 0)
    {
        if (type == DataType.Float32)
        {
            Parallel(new Job<float> { X = (float*)x, Scale = (float*)scale, Shift = (float*)shift, Y = (float*)y, R = (float*)residual, Batch = batch, Channels = channels, Spatial = spatial, Activation = activation, Alpha = (float)alpha });
        }
        else
        {
            Parallel(new Job<double> { X = (double*)x, Scale = (double*)scale, Shift = (double*)shift, Y = (double*)y, R = (double*)residual, Batch = batch, Channels = channels, Spatial = spatial, Activation = activation, Alpha = alpha });
        }
    }

    private struct Job<T> where T : unmanaged
    {
        public T* X, Scale, Shift, Y, R; // R: the residual, or null
        public int Batch, Channels, Spatial, Parts;
        public Activation? Activation;
        public T Alpha;
    }

    private static void Parallel<T>(Job<T> job) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long elements = (long)job.Batch * job.Channels * job.Spatial;
        if (elements == 0)
        {
            return;
        }
        if (job.Spatial == 1 && job.R is null)
        {
            for (int n = 0; n < job.Batch; n++)
            {
                Row(ref job, n);
            }
            return;
        }
        job.Parts = (int)Math.Min(ParallelSplit.Parts(elements), (long)job.Batch * job.Channels);
        if (job.Parts <= 1)
        {
            Planes(ref job, 0, job.Batch * job.Channels);
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &Part<T>, &job);
    }

    private static void Part<T>(void* state, int part, int worker) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref Job<T> job = ref *(Job<T>*)state;
        (int first, int end) = ParallelSplit.Range(part, job.Parts, job.Batch * job.Channels, 1);
        Planes(ref job, first, end);
    }

    // Planes [first, end) of the N·C planes, plane p being channel p mod C of sample p / C.
    private static void Planes<T>(ref Job<T> job, int first, int end) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int spatial = job.Spatial;
        for (int p = first; p < end; p++)
        {
            int c = p % job.Channels;
            var x = new ReadOnlySpan<T>(job.X + (long)p * spatial, spatial);
            var y = new Span<T>(job.Y + (long)p * spatial, spatial);
            Plane(x, job.Scale[c], job.Shift[c], y, job.Activation, job.Alpha, job.R is null ? default : new ReadOnlySpan<T>(job.R + (long)p * spatial, spatial));
        }
    }

    /// <summary>One plane: y = f(s·x + b), or f(s·x + b + r) with a residual plane <paramref name="r"/> (not empty); y may be x.</summary>
    internal static void Plane<T>(ReadOnlySpan<T> x, T s, T b, Span<T> y, Activation? activation, T alpha, ReadOnlySpan<T> r = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool relu = activation == Activation.Relu;
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && (relu || activation is null))
        {
            PlaneFloat512(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(x), float.CreateTruncating(s), float.CreateTruncating(b),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y), relu, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(r));
            return;
        }
        if (!r.IsEmpty)
        {
            // The affine step as without a residual (into y), then the add, then f: the separate passes' bits.
            Plane(x, s, b, y, null, alpha);
            System.Numerics.Tensors.TensorPrimitives.Add(y, r, y);
            if (activation is { } g)
            {
                ElementwiseKernels.ActivationForwardKernel(g, y, y, alpha);
            }
            return;
        }
        int i = 0;
        if (Vector<T>.IsSupported && Vector.IsHardwareAccelerated)
        {
            var sv = new Vector<T>(s);
            var bv = new Vector<T>(b);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                Vector<T> v = new Vector<T>(x[i..]) * sv + bv;
                (relu ? Vector.Max(v, Vector<T>.Zero) : v).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            T v = x[i] * s + b;
            y[i] = relu ? T.Max(v, T.Zero) : v;
        }
        if (activation is { } f && !relu)
        {
            ElementwiseKernels.ActivationForwardKernel(f, y, y, alpha);
        }
    }

    private static void PlaneFloat512(ReadOnlySpan<float> x, float s, float b, Span<float> y, bool relu, ReadOnlySpan<float> r)
    {
        if (!r.IsEmpty)
        {
            PlaneFloat512Residual(x, s, b, y, relu, r);
            return;
        }
        fixed (float* xp = x, yp = y)
        {
            var sv = Vector512.Create(s);
            var bv = Vector512.Create(b);
            int n = x.Length, i = 0;
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.Load(xp + i), sv, bv);
                (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).Store(yp + i);
            }
            for (; i < n; i++)
            {
                float v = MathF.FusedMultiplyAdd(xp[i], s, b);
                yp[i] = relu ? MathF.Max(v, 0) : v;
            }
        }
    }

    // y = f(fma(x, s, b) + r): each step rounded as the separate passes round it (the FMA, then the add, then the max).
    private static void PlaneFloat512Residual(ReadOnlySpan<float> x, float s, float b, Span<float> y, bool relu, ReadOnlySpan<float> r)
    {
        fixed (float* xp = x, yp = y, rp = r)
        {
            var sv = Vector512.Create(s);
            var bv = Vector512.Create(b);
            int n = x.Length, i = 0;
            for (; i <= n - 16; i += 16)
            {
                Vector512<float> v = Vector512.FusedMultiplyAdd(Vector512.Load(xp + i), sv, bv) + Vector512.Load(rp + i);
                (relu ? Vector512.Max(v, Vector512<float>.Zero) : v).Store(yp + i);
            }
            for (; i < n; i++)
            {
                float v = MathF.FusedMultiplyAdd(xp[i], s, b) + rp[i];
                yp[i] = relu ? MathF.Max(v, 0) : v;
            }
        }
    }

    // One sample of an N×C output: y = f(scale ⊙ x + shift) over its C values.
    private static void Row<T>(ref Job<T> job, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c = job.Channels;
        var x = new ReadOnlySpan<T>(job.X + (long)n * c, c);
        var y = new Span<T>(job.Y + (long)n * c, c);
        TensorPrimitives.FusedMultiplyAdd(x, new ReadOnlySpan<T>(job.Scale, c), new ReadOnlySpan<T>(job.Shift, c), y);
        if (job.Activation is { } f)
        {
            ElementwiseKernels.ActivationForwardKernel(f, y, y, job.Alpha);
        }
    }
}
