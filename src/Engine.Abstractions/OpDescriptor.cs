using System.Globalization;
using System.Text;

namespace Engine;

/// <summary>
/// One backend operation together with everything that decides whether a backend has a kernel for
/// it: the op family, the data type, and the parameters that matter for that family (the window
/// geometry of a convolution or pooling, the activation or element-wise function, the update rule,
/// the LRN window). A backend answers <see cref="IBackend.Supports(OpDescriptor)"/> for it, in the
/// spirit of ONNX Runtime's <c>GetCapability</c> and ggml's <c>supports_op</c>. Parameters that do
/// not apply to the family stay null. <see cref="Shape"/> is the op's main operand (for messages
/// only: a backend should not refuse by batch size).
/// </summary>
public sealed record OpDescriptor(BackendOp Op, DataType DataType)
{
    /// <summary>The main operand's shape, e.g. the input of a convolution (for messages).</summary>
    public Shape? Shape { get; init; }

    /// <summary>Convolution and locally connected ops: the window geometry (rank, kernel, stride, dilation, groups, per-side padding).</summary>
    public ConvolutionGeometry? Convolution { get; init; }

    /// <summary>Pooling ops: mode, window and padding rule.</summary>
    public PoolingGeometry? Pooling { get; init; }

    /// <summary>Activation ops: which activation.</summary>
    public Activation? Activation { get; init; }

    /// <summary><see cref="BackendOp.Unary"/>: which function.</summary>
    public UnaryOp? Unary { get; init; }

    /// <summary><see cref="BackendOp.Binary"/>: which function.</summary>
    public BinaryOp? Binary { get; init; }

    /// <summary><see cref="BackendOp.OptimizerUpdate"/>: which rule.</summary>
    public UpdateRule? Rule { get; init; }

    /// <summary><see cref="BackendOp.Lrn"/>: the window and constants.</summary>
    public LrnParameters? Lrn { get; init; }

    /// <summary>For people: the op, its parameters, the data type and shape, e.g. <c>convolution 2-D kernel 5×5 stride 1 padding 2,2/2,2 float32 [64, 1, 28, 28]</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder(OpNames.Of(Op));
        if (Convolution is { } c)
        {
            Window(text, c);
        }
        if (Pooling is { } p)
        {
            text.Append(' ').Append(p.Mode == PoolingMode.Max ? "max" : "average");
            Window(text, p.Window);
            if (p.CountIncludePad)
            {
                text.Append(" counting padding");
            }
        }
        if (Activation is { } a)
        {
            text.Append(' ').Append(OpNames.Of(a));
        }
        if (Unary is { } u)
        {
            text.Append(' ').Append(u.ToString().ToLowerInvariant());
        }
        if (Binary is { } b)
        {
            text.Append(' ').Append(b.ToString().ToLowerInvariant());
        }
        if (Rule is { } r)
        {
            text.Append(' ').Append(r.ToString().ToLowerInvariant());
        }
        if (Lrn is { } l)
        {
            text.Append(CultureInfo.InvariantCulture, $" size {l.Size}");
        }
        text.Append(' ').Append(DataType.ToString().ToLowerInvariant());
        if (Shape is { } s)
        {
            text.Append(' ').Append(s);
        }
        return text.ToString();
    }

    private static void Window(StringBuilder text, ConvolutionGeometry g)
    {
        static string Join(IReadOnlyList<int> values, string separator) => string.Join(separator, values);
        text.Append(CultureInfo.InvariantCulture, $" {g.SpatialRank}-D kernel {Join(g.Kernel, "×")} stride {Join(g.Stride, ",")}");
        text.Append(CultureInfo.InvariantCulture, $" padding {Join(g.PadBefore, ",")}/{Join(g.PadAfter, ",")}");
        if (g.Dilation.Any(d => d != 1))
        {
            text.Append(" dilation ").Append(Join(g.Dilation, ","));
        }
        if (g.Groups != 1)
        {
            text.Append(CultureInfo.InvariantCulture, $" groups {g.Groups}");
        }
    }
}
