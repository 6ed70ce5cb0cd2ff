namespace Engine;

/// <summary>
/// Max and average pooling. Conventions every backend shares: padding never takes part in a max (a
/// window that holds only padding gives 0 and routes no gradient); max backward sends each dy to
/// the first maximum of its window in scan order (depth, row, column), a NaN counting as the maximum
/// (a backend whose ties differ says so in <see cref="BackendTraits.MaxPoolTies"/>); average pooling
/// divides by the whole window with <see cref="PoolingGeometry.CountIncludePad"/>, otherwise by the
/// number of real elements in the window (0 when there are none). Dilation is honoured; groups are ignored.
/// </summary>
public static partial class BackendContract
{
    /// <summary>
    /// <see cref="IBackend.PoolingForward"/>: the mode is defined; x (N×C×spatial, rank + 2
    /// dimensions) and y (N×C×out spatial) are floating-point operands of one data type that do not
    /// share memory; the window fits every padded axis.
    /// </summary>
    public static void PoolingForward(IBackend backend, PoolingGeometry geometry, Tensor x, Tensor y)
    {
        const string op = "PoolingForward";
        ArgumentNullException.ThrowIfNull(geometry);
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Written(y);
        SameType(op, "x", x, "y", y);
        NotShared(op, "x", x, "y", y);
        PoolingShapes(op, geometry, x, "y", y);
    }

    /// <summary>
    /// <see cref="IBackend.PoolingBackward"/>: shapes as <see cref="PoolingForward"/>, dy the shape of
    /// y and dx of x; dx (overwritten) shares memory with neither dy nor x. A backend may find the
    /// arg-max again from x (the CPU does), so y may be read only for its shape.
    /// </summary>
    public static void PoolingBackward(IBackend backend, PoolingGeometry geometry, Tensor x, Tensor y, Tensor dy, Tensor dx)
    {
        const string op = "PoolingBackward";
        ArgumentNullException.ThrowIfNull(geometry);
        Operand(backend, op, "x", x);
        Operand(backend, op, "y", y);
        Operand(backend, op, "dy", dy);
        Operand(backend, op, "dx", dx);
        Written(dx);
        SameType(op, "x", x, "y", y);
        SameType(op, "x", x, "dy", dy);
        SameType(op, "x", x, "dx", dx);
        PoolingShapes(op, geometry, x, "y", y);
        SameShape(op, "dy", dy, "y", y);
        SameShape(op, "dx", dx, "x", x);
        NotShared(op, "dx", dx, "dy", dy);
        NotShared(op, "dx", dx, "x", x);
    }

    /// <summary>
    /// The workspace of <see cref="IBackend.PoolingForwardWithWorkspace"/> and
    /// <see cref="IBackend.PoolingBackwardWithWorkspace"/>:
    /// an <see cref="DataType.Int32"/> tensor of <paramref name="backend"/> with at least
    /// <paramref name="elements"/> elements that shares memory with none of <paramref name="operands"/>.
    /// </summary>
    public static void PoolingWorkspace(IBackend backend, string op, Tensor workspace, long elements, params ReadOnlySpan<Tensor> operands)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        Owned(backend, op, "workspace", workspace);
        Written(workspace);
        OfType(op, "workspace", workspace, DataType.Int32);
        if (workspace.Shape.ElementCount < elements)
        {
            throw new ShapeException($"{op}: the workspace has {workspace.Shape.ElementCount} elements but this pooling needs {elements} (PoolingWorkspaceSize)");
        }
        foreach (Tensor operand in operands)
        {
            NotShared(op, "workspace", workspace, "an operand", operand);
        }
    }

    private static void PoolingShapes(string op, PoolingGeometry geometry, Tensor x, string outputName, Tensor y)
    {
        if (!Enum.IsDefined(geometry.Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(geometry), geometry.Mode, $"{op}: unknown pooling mode");
        }
        ConvolutionGeometry g = geometry.Window;
        int rank = g.SpatialRank;
        ReadOnlySpan<int> xd = x.Shape.AsSpan();
        ReadOnlySpan<int> yd = y.Shape.AsSpan();
        if (xd.Length != rank + 2)
        {
            throw new ShapeException($"{op}: x is {x.Shape} but a window over {rank} spatial axes needs N×C×{rank} spatial axes ({rank + 2} dimensions)");
        }
        bool fits = yd.Length == rank + 2 && yd[0] == xd[0] && yd[1] == xd[1];
        Span<int> output = stackalloc int[3];
        for (int axis = 0; axis < rank; axis++)
        {
            try
            {
                output[axis] = ConvolutionGeometry.OutputSize(xd[axis + 2], g.Kernel[axis], g.Stride[axis], g.PadBefore[axis], g.PadAfter[axis], g.Dilation[axis]);
            }
            catch (ShapeException e)
            {
                throw new ShapeException($"{op}: x is {x.Shape}, {g}: spatial axis {axis}: {e.Message}");
            }
            fits &= yd.Length == rank + 2 && yd[axis + 2] == output[axis];
        }
        if (!fits)
        {
            string expected = $"[{xd[0]}, {xd[1]}, {string.Join(", ", output[..rank].ToArray())}]";
            throw new ShapeException($"{op}: x is {x.Shape} and the window is {g}, so {outputName} must be {expected}, but it is {y.Shape}");
        }
    }
}
