using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Element-wise ops: fill, unary and binary functions, scaled addition, activations and their
/// gradients. Each is one generic kernel over float and double; none allocates. Activations on
/// large tensors are split over the backend's <see cref="WorkerPool"/> (<see cref="ParallelSplit"/>).
/// </summary>
internal static unsafe class ElementwiseKernels
{
    // Chunk length of the stack scratch used where a kernel needs an intermediate that must not be
    // written into y yet (y may alias x). 256 elements keep the stack use at 2 KiB for double.
    private const int ScratchLength = 256;

    /// <summary>x ← value.</summary>
    public static void Fill(DataType type, nint x, int count, double value)
    {
        if (type == DataType.Float32)
        {
            NativeSpan.Of<float>(x, count).Fill((float)value);
        }
        else
        {
            NativeSpan.Of<double>(x, count).Fill(value);
        }
    }

    /// <summary>y ← op(x); y may be x.</summary>
    public static void Unary(UnaryOp op, DataType type, nint x, nint y, int count)
    {
        if (type == DataType.Float32)
        {
            UnaryKernel<float>(op, NativeSpan.Of<float>(x, count), NativeSpan.Of<float>(y, count));
        }
        else
        {
            UnaryKernel<double>(op, NativeSpan.Of<double>(x, count), NativeSpan.Of<double>(y, count));
        }
    }

    /// <summary>y ← op(a, b); y may be a or b. Large tensors are split over the pool (<see cref="ElementwiseParallel"/>).</summary>
    public static void Binary(BinaryOp op, DataType type, nint a, nint b, nint y, int count)
    {
        if (ElementwiseParallel.Splits(count))
        {
            ElementwiseParallel.Binary(op, type, a, b, y, count);
        }
        else
        {
            BinaryWhole(op, type, a, b, y, count);
        }
    }

    /// <summary>y ← op(a, b) on the calling thread.</summary>
    internal static void BinaryWhole(BinaryOp op, DataType type, nint a, nint b, nint y, int count)
    {
        if (type == DataType.Float32)
        {
            BinaryKernel<float>(op, NativeSpan.Of<float>(a, count), NativeSpan.Of<float>(b, count), NativeSpan.Of<float>(y, count));
        }
        else
        {
            BinaryKernel<double>(op, NativeSpan.Of<double>(a, count), NativeSpan.Of<double>(b, count), NativeSpan.Of<double>(y, count));
        }
    }

    /// <summary>y ← α·x + β·y (<paramref name="aliased"/>: x is y); large tensors split over the pool.</summary>
    public static void Axpby(DataType type, double alpha, nint x, double beta, nint y, int count, bool aliased)
    {
        if (ElementwiseParallel.Splits(count))
        {
            ElementwiseParallel.Axpby(type, alpha, x, beta, y, count, aliased);
        }
        else
        {
            AxpbyWhole(type, alpha, x, beta, y, count, aliased);
        }
    }

    /// <summary>y ← α·x + β·y on the calling thread.</summary>
    internal static void AxpbyWhole(DataType type, double alpha, nint x, double beta, nint y, int count, bool aliased)
    {
        if (type == DataType.Float32)
        {
            AxpbyKernel((float)alpha, NativeSpan.Of<float>(x, count), (float)beta, NativeSpan.Of<float>(y, count), aliased);
        }
        else
        {
            AxpbyKernel(alpha, NativeSpan.Of<double>(x, count), beta, NativeSpan.Of<double>(y, count), aliased);
        }
    }

    /// <summary>y ← activation(x); y may be x.</summary>
    public static void ActivationForward(Activation activation, DataType type, nint x, nint y, int count, double alpha)
    {
        if (type == DataType.Float32)
        {
            ParallelActivationForward(activation, (float*)x, (float*)y, count, (float)alpha);
        }
        else
        {
            ParallelActivationForward(activation, (double*)x, (double*)y, count, alpha);
        }
    }

    /// <summary>dx ← activation gradient; dx may alias any input.</summary>
    public static void ActivationBackward(Activation activation, DataType type, nint x, nint y, nint dy, nint dx, int count, double alpha)
    {
        if (type == DataType.Float32)
        {
            ParallelActivationBackward(activation, (float*)x, (float*)y, (float*)dy, (float*)dx, count, (float)alpha);
        }
        else
        {
            ParallelActivationBackward(activation, (double*)x, (double*)y, (double*)dy, (double*)dx, count, alpha);
        }
    }

    private struct ActivationJob<T> where T : unmanaged
    {
        public Activation Activation;
        public T Alpha;
        public T* X, Y, Dy, Dx;
        public int Count, Parts;
    }

    private static void ParallelActivationForward<T>(Activation activation, T* x, T* y, int count, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ActivationJob<T> { Activation = activation, Alpha = alpha, X = x, Y = y, Count = count, Parts = ParallelSplit.Parts(count) };
        if (job.Parts <= 1)
        {
            ActivationForwardKernel(activation, new ReadOnlySpan<T>(x, count), new Span<T>(y, count), alpha);
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &ActivationForwardPart<T>, &job);
    }

    private static void ActivationForwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ActivationJob<T> j = ref *(ActivationJob<T>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Count, ParallelSplit.Alignment);
        ActivationForwardKernel(j.Activation, new ReadOnlySpan<T>(j.X + first, end - first), new Span<T>(j.Y + first, end - first), j.Alpha);
    }

    private static void ParallelActivationBackward<T>(Activation activation, T* x, T* y, T* dy, T* dx, int count, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var job = new ActivationJob<T> { Activation = activation, Alpha = alpha, X = x, Y = y, Dy = dy, Dx = dx, Count = count, Parts = ParallelSplit.Parts(count) };
        if (job.Parts <= 1)
        {
            ActivationBackwardKernel(activation, new ReadOnlySpan<T>(x, count), new ReadOnlySpan<T>(y, count), new ReadOnlySpan<T>(dy, count), new Span<T>(dx, count), alpha);
            return;
        }
        WorkerPool.For(job.Parts, job.Parts, &ActivationBackwardPart<T>, &job);
    }

    private static void ActivationBackwardPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ActivationJob<T> j = ref *(ActivationJob<T>*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Count, ParallelSplit.Alignment);
        int n = end - first;
        ActivationBackwardKernel(j.Activation, new ReadOnlySpan<T>(j.X + first, n), new ReadOnlySpan<T>(j.Y + first, n),
            new ReadOnlySpan<T>(j.Dy + first, n), new Span<T>(j.Dx + first, n), j.Alpha);
    }

    // TensorPrimitives accepts an output that is exactly an input (same start and length), which is
    // the only kind of aliasing tensors of one backend can have: views share the whole block.
    private static void UnaryKernel<T>(UnaryOp op, ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case UnaryOp.Identity:
                x.CopyTo(y);
                break;
            case UnaryOp.Negate:
                TensorPrimitives.Negate(x, y);
                break;
            case UnaryOp.Abs:
                TensorPrimitives.Abs(x, y);
                break;
            case UnaryOp.Square:
                TensorPrimitives.Multiply(x, x, y);
                break;
            case UnaryOp.Sqrt:
                TensorPrimitives.Sqrt(x, y);
                break;
            case UnaryOp.Exp:
                TensorPrimitives.Exp(x, y);
                break;
            case UnaryOp.Log:
                TensorPrimitives.Log(x, y);
                break;
            case UnaryOp.Relu:
                TensorPrimitives.Max(x, T.Zero, y);
                break;
            case UnaryOp.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case UnaryOp.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case UnaryOp.Sign:
                SignKernel(x, y);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "Unary: unknown op");
        }
    }

    // sign(0) = 0 as in PyTorch (an L1 subgradient of 0 at 0); NaN stays NaN.
    private static void SignKernel<T>(ReadOnlySpan<T> x, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length;
        int width = Vector<T>.Count;
        int i = 0;
        var minusOne = -Vector<T>.One;
        for (; i <= n - width; i += width)
        {
            var xv = new Vector<T>(x[i..]);
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(xv, Vector<T>.Zero), Vector<T>.One,
                Vector.ConditionalSelect(Vector.LessThan(xv, Vector<T>.Zero), minusOne, Vector<T>.Zero));
            Vector.ConditionalSelect(Vector.Equals(xv, xv), sign, xv).CopyTo(y[i..]);
        }
        for (; i < n; i++)
        {
            T v = x[i];
            y[i] = v > T.Zero ? T.One : v < T.Zero ? -T.One : T.IsNaN(v) ? v : T.Zero;
        }
    }

    private static void BinaryKernel<T>(BinaryOp op, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (op)
        {
            case BinaryOp.Add:
                TensorPrimitives.Add(a, b, y);
                break;
            case BinaryOp.Subtract:
                TensorPrimitives.Subtract(a, b, y);
                break;
            case BinaryOp.Multiply:
                TensorPrimitives.Multiply(a, b, y);
                break;
            case BinaryOp.Divide:
                TensorPrimitives.Divide(a, b, y);
                break;
            case BinaryOp.Max:
                TensorPrimitives.Max(a, b, y);
                break;
            case BinaryOp.Min:
                TensorPrimitives.Min(a, b, y);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "Binary: unknown op");
        }
    }

    private static void AxpbyKernel<T>(T alpha, ReadOnlySpan<T> x, T beta, Span<T> y, bool aliased)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (aliased)
        {
            // x is y: α·y + β·y in one pass (scaling y first would change x under our feet).
            TensorPrimitives.Multiply(y, alpha + beta, y);
        }
        else if (beta == T.Zero)
        {
            if (alpha == T.Zero)
            {
                y.Clear();
            }
            else
            {
                TensorPrimitives.Multiply(x, alpha, y);
            }
        }
        else
        {
            if (beta != T.One)
            {
                TensorPrimitives.Multiply(y, beta, y);
            }
            if (alpha != T.Zero)
            {
                TensorPrimitives.MultiplyAdd(x, alpha, y, y);
            }
        }
    }

    private static void ActivationBackwardKernel<T>(Activation activation, ReadOnlySpan<T> x, ReadOnlySpan<T> y, ReadOnlySpan<T> dy, Span<T> dx, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Element i reads x[i], y[i], dy[i] before writing dx[i], so dx may alias any input.
        int n = dx.Length;
        int width = Vector<T>.Count;
        int i = 0;
        Vector<T> one = Vector<T>.One;
        switch (activation)
        {
            case Activation.Relu:
                for (; i <= n - width; i += width)
                {
                    var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                    Vector.ConditionalSelect(positive, new Vector<T>(dy[i..]), Vector<T>.Zero).CopyTo(dx[i..]);
                }
                for (; i < n; i++)
                {
                    dx[i] = x[i] > T.Zero ? dy[i] : T.Zero;
                }
                break;
            case Activation.Sigmoid:
                for (; i <= n - width; i += width)
                {
                    var yv = new Vector<T>(y[i..]);
                    (new Vector<T>(dy[i..]) * yv * (one - yv)).CopyTo(dx[i..]);
                }
                for (; i < n; i++)
                {
                    T yi = y[i];
                    dx[i] = dy[i] * yi * (T.One - yi);
                }
                break;
            case Activation.Tanh:
                for (; i <= n - width; i += width)
                {
                    var yv = new Vector<T>(y[i..]);
                    (new Vector<T>(dy[i..]) * (one - (yv * yv))).CopyTo(dx[i..]);
                }
                for (; i < n; i++)
                {
                    T yi = y[i];
                    dx[i] = dy[i] * (T.One - (yi * yi));
                }
                break;
            case Activation.LeakyRelu:
                for (; i <= n - width; i += width)
                {
                    var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                    var dyv = new Vector<T>(dy[i..]);
                    Vector.ConditionalSelect(positive, dyv, dyv * alpha).CopyTo(dx[i..]);
                }
                for (; i < n; i++)
                {
                    dx[i] = x[i] > T.Zero ? dy[i] : alpha * dy[i];
                }
                break;
            case Activation.Elu:
                // For x ≤ 0, d/dx α(eˣ − 1) = αeˣ = y + α, read from the saved output.
                var alphas = new Vector<T>(alpha);
                for (; i <= n - width; i += width)
                {
                    var positive = Vector.GreaterThan(new Vector<T>(x[i..]), Vector<T>.Zero);
                    var dyv = new Vector<T>(dy[i..]);
                    Vector.ConditionalSelect(positive, dyv, dyv * (new Vector<T>(y[i..]) + alphas)).CopyTo(dx[i..]);
                }
                for (; i < n; i++)
                {
                    dx[i] = x[i] > T.Zero ? dy[i] : dy[i] * (y[i] + alpha);
                }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationBackward: unknown activation");
        }
    }

    internal static void ActivationForwardKernel<T>(Activation activation, ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (activation)
        {
            case Activation.Relu:
                TensorPrimitives.Max(x, T.Zero, y);
                break;
            case Activation.Sigmoid:
                TensorPrimitives.Sigmoid(x, y);
                break;
            case Activation.Tanh:
                TensorPrimitives.Tanh(x, y);
                break;
            case Activation.LeakyRelu:
                LeakyReluKernel(x, y, alpha);
                break;
            case Activation.Elu:
                EluKernel(x, y, alpha);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationForward: unknown activation");
        }
    }

    // A select rather than max(x, αx), which is right only for 0 ≤ α ≤ 1.
    private static void LeakyReluKernel<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = y.Length;
        int width = Vector<T>.Count;
        int i = 0;
        for (; i <= n - width; i += width)
        {
            var xv = new Vector<T>(x[i..]);
            Vector.ConditionalSelect(Vector.GreaterThan(xv, Vector<T>.Zero), xv, xv * alpha).CopyTo(y[i..]);
        }
        for (; i < n; i++)
        {
            y[i] = x[i] > T.Zero ? x[i] : alpha * x[i];
        }
    }

    // ELU as max(x, 0) + α(e^min(x, 0) − 1): each term vanishes on the other side of 0, so there is
    // no select, and the exponential never overflows. The second term goes through a stack chunk
    // because y may be x.
    private static void EluKernel<T>(ReadOnlySpan<T> x, Span<T> y, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> scratch = stackalloc T[ScratchLength];
        for (int start = 0; start < y.Length; start += ScratchLength)
        {
            int length = Math.Min(ScratchLength, y.Length - start);
            ReadOnlySpan<T> xc = x.Slice(start, length);
            Span<T> yc = y.Slice(start, length);
            Span<T> negative = scratch[..length];
            TensorPrimitives.Min(xc, T.Zero, negative);
            TensorPrimitives.Exp(negative, negative);
            TensorPrimitives.Multiply(negative, alpha, negative);
            TensorPrimitives.Subtract(negative, alpha, negative);
            TensorPrimitives.Max(xc, T.Zero, yc);
            TensorPrimitives.Add(yc, negative, yc);
        }
    }
}
