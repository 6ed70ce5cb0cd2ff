namespace Engine;

/// <summary>Element-wise ops: unary and binary functions, scaled addition, activations.</summary>
public static partial class BackendContract
{
    // Built once: formatting the op name on every call would allocate on every training step.
    private static readonly OpNameTable<UnaryOp> UnaryNames = new("Unary");
    private static readonly OpNameTable<BinaryOp> BinaryNames = new("Binary");
    private static readonly OpNameTable<Activation> ActivationForwardNames = new("ActivationForward");
    private static readonly OpNameTable<Activation> ActivationBackwardNames = new("ActivationBackward");

    /// <summary>
    /// <see cref="IBackend.Unary"/>: x and y are floating-point operands of one data type and element
    /// count, and the op is defined. y may be x (the same memory, read and written element by
    /// element); sign(0) = 0 and NaN stays NaN, as in PyTorch.
    /// </summary>
    public static void Unary(IBackend backend, UnaryOp op, Tensor x, Tensor y)
    {
        string name = UnaryNames[op];
        Operand(backend, name, "x", x);
        Operand(backend, name, "y", y);
        Written(y);
        SameType(name, "x", x, "y", y);
        SameCount(name, "x", x, "y", y);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "Unary: unknown op");
        }
    }

    /// <summary>
    /// <see cref="IBackend.Binary"/>: a, b and y are floating-point operands of one data type and
    /// element count, and the op is defined. y may be a or b.
    /// </summary>
    public static void Binary(IBackend backend, BinaryOp op, Tensor a, Tensor b, Tensor y)
    {
        string name = BinaryNames[op];
        Operand(backend, name, "a", a);
        Operand(backend, name, "b", b);
        Operand(backend, name, "y", y);
        Written(y);
        SameType(name, "a", a, "b", b);
        SameType(name, "a", a, "y", y);
        SameCount(name, "a", a, "b", b);
        SameCount(name, "a", a, "y", y);
        if (!Enum.IsDefined(op))
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "Binary: unknown op");
        }
    }

    /// <summary>
    /// <see cref="IBackend.Axpby"/>: x and y are floating-point operands of one data type and element
    /// count. y may be x (then y ← (α + β)·y). With β = 0 the old contents of y are ignored, NaNs
    /// included, as in GEMM.
    /// </summary>
    public static void Axpby(IBackend backend, double alpha, Tensor x, double beta, Tensor y)
    {
        const string op = "Axpby";
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Written(y);
        SameType(op, "x", x, "y", y);
        SameCount(op, "x", x, "y", y);
    }

    /// <summary>
    /// <see cref="IBackend.ActivationForward"/>: x and y are floating-point operands of one data type
    /// and element count, the activation is defined and α is finite. y may be x. Leaky ReLU is
    /// x &gt; 0 ? x : α·x (a select, right for any α); ELU is max(x, 0) + α(e^min(x, 0) − 1).
    /// </summary>
    public static void ActivationForward(IBackend backend, Activation activation, Tensor x, Tensor y, double alpha)
    {
        string name = ActivationForwardNames[activation];
        Operand(backend, name, "x", x);
        Operand(backend, name, "y", y);
        Written(y);
        SameType(name, "x", x, "y", y);
        SameCount(name, "x", x, "y", y);
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "ActivationForward: unknown activation");
        }
        if (!double.IsFinite(alpha))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{name}: alpha must be finite");
        }
    }

    /// <summary>
    /// <see cref="IBackend.ActivationBackward"/>: x, y, dy and dx are floating-point operands of one
    /// data type and element count, and the activation is defined. dx may alias any input (element i
    /// is read before it is written). ReLU and leaky ReLU route by x &gt; 0 (the gradient at 0 is
    /// that of the negative side); sigmoid, tanh and ELU's negative side read the saved output y
    /// (ELU: dy·(y + α)).
    /// </summary>
    public static void ActivationBackward(IBackend backend, Activation activation, Tensor x, Tensor y, Tensor dy, Tensor dx, double alpha)
    {
        string name = ActivationBackwardNames[activation];
        Operand(backend, name, "x", x);
        Operand(backend, name, "y", y);
        Operand(backend, name, "dy", dy);
        Operand(backend, name, "dx", dx);
        Written(dx);
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
    }
}
