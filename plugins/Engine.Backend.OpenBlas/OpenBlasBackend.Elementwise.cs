using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Element-wise ops: unary and binary functions, scaled addition and activation gradients. Each is
/// one generic kernel over float and double; none allocates.
/// </summary>
public sealed partial class OpenBlasBackend
{
    private static readonly OpNameTable<UnaryOp> UnaryNames = new("Unary");
    private static readonly OpNameTable<BinaryOp> BinaryNames = new("Binary");
    private static readonly OpNameTable<Activation> ActivationBackwardNames = new("ActivationBackward");

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y)
    {
        string name = UnaryNames[op];
        CpuStorage xs = Check(name, "x", x);
        CpuStorage ys = Check(name, "y", y);
        SameType(name, "x", x, "y", y);
        SameCount(name, "x", x, "y", y);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "Unary: unknown op");
        }
        int n = (int)x.ElementCount;
        if (x.DataType == DataType.Float32)
        {
            UnaryKernel<float>(op, Elements<float>(xs, n), Elements<float>(ys, n));
        }
        else
        {
            UnaryKernel<double>(op, Elements<double>(xs, n), Elements<double>(ys, n));
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        string name = BinaryNames[op];
        CpuStorage sa = Check(name, "a", a);
        CpuStorage sb = Check(name, "b", b);
        CpuStorage sy = Check(name, "y", y);
        SameType(name, "a", a, "b", b);
        SameType(name, "a", a, "y", y);
        SameCount(name, "a", a, "b", b);
        SameCount(name, "a", a, "y", y);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "Binary: unknown op");
        }
        int n = (int)a.ElementCount;
        if (a.DataType == DataType.Float32)
        {
            BinaryKernel<float>(op, Elements<float>(sa, n), Elements<float>(sb, n), Elements<float>(sy, n));
        }
        else
        {
            BinaryKernel<double>(op, Elements<double>(sa, n), Elements<double>(sb, n), Elements<double>(sy, n));
        }
        GC.KeepAlive(sa);
        GC.KeepAlive(sb);
        GC.KeepAlive(sy);
    }

    /// <inheritdoc/>
    /// <remarks>With β = 0 the old contents of y are ignored (NaNs included), as in GEMM.</remarks>
    public void Axpby(double alpha, Tensor x, double beta, Tensor y)
    {
        const string op = "Axpby";
        CpuStorage xs = Check(op, "x", x);
        CpuStorage ys = Check(op, "y", y);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
        int n = (int)x.ElementCount;
        bool aliased = ReferenceEquals(xs, ys);
        if (x.DataType == DataType.Float32)
        {
            AxpbyKernel((float)alpha, Elements<float>(xs, n), (float)beta, Elements<float>(ys, n), aliased);
        }
        else
        {
            AxpbyKernel(alpha, Elements<double>(xs, n), beta, Elements<double>(ys, n), aliased);
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
    }

    /// <inheritdoc/>
    public void ActivationBackward(Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha = 0)
    {
        string name = ActivationBackwardNames[activation];
        CpuStorage xs = Check(name, "x", x);
        CpuStorage ys = Check(name, "y", y);
        CpuStorage dys = Check(name, "dy", dy);
        CpuStorage dxs = Check(name, "dx", dx);
        SameType(name, "x", x, "y", y);
        SameType(name, "x", x, "dy", dy);
        SameType(name, "x", x, "dx", dx);
        SameCount(name, "x", x, "y", y);
        SameCount(name, "x", x, "dy", dy);
        SameCount(name, "x", x, "dx", dx);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationBackward: unknown activation");
        }
        int n = (int)x.ElementCount;
        unsafe
        {
            if (x.DataType == DataType.Float32)
            {
                ParallelActivationBackward(activation, (float*)xs.Pointer, (float*)ys.Pointer, (float*)dys.Pointer, (float*)dxs.Pointer, n, (float)alpha);
            }
            else
            {
                ParallelActivationBackward(activation, (double*)xs.Pointer, (double*)ys.Pointer, (double*)dys.Pointer, (double*)dxs.Pointer, n, alpha);
            }
        }
        GC.KeepAlive(xs);
        GC.KeepAlive(ys);
        GC.KeepAlive(dys);
        GC.KeepAlive(dxs);
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
}
