using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Convolution over 1 to 3 spatial axes: per sample, im2col (<see cref="Im2Col"/>) into the cached
/// workspace, then one GEMM per group in OpenBLAS, which threads it. A 1×1 window with stride 1
/// and no padding skips im2col: the sample already is its column matrix.
/// </summary>
/// <remarks>
/// With X the column matrix of a sample (C·taps × P positions), W a group's filters
/// (K/g × C/g·taps) and Y its output (K/g × P), per group: forward Y = W·X; backward data
/// X̄ = Wᵀ·Ȳ followed by col2im; backward filter W̄ = Σ over samples of Ȳ·Xᵀ.
/// </remarks>
public sealed partial class OpenBlasBackend
{
    /// <inheritdoc/>
    public void ConvolutionForward(ConvolutionGeometry geometry, Tensor x, Tensor w, Tensor y) =>
        Windowed("ConvolutionForward", Pass.Forward, locallyConnected: false, geometry, x, w, y);

    /// <inheritdoc/>
    public void ConvolutionBackwardData(ConvolutionGeometry geometry, Tensor dy, Tensor w, Tensor dx) =>
        Windowed("ConvolutionBackwardData", Pass.BackwardData, locallyConnected: false, geometry, dx, w, dy);

    /// <inheritdoc/>
    public void ConvolutionBackwardFilter(ConvolutionGeometry geometry, Tensor x, Tensor dy, Tensor dw) =>
        Windowed("ConvolutionBackwardFilter", Pass.BackwardFilter, locallyConnected: false, geometry, x, dw, dy);

    /// <summary>
    /// Validates the input-side tensor (x or dx) and the filters (w or dw, K×C/groups×kernel) and
    /// returns the layout; the output side is checked by <see cref="ConvolutionLayout.CheckOutput"/>.
    /// </summary>
    private static ConvolutionLayout ConvolutionShapes(string op, ConvolutionGeometry geometry, Tensor x, string xName, Tensor w, string wName)
    {
        ConvolutionLayout layout = ConvolutionLayout.FromInput(op, geometry, x, xName);
        int rank = geometry.SpatialRank;
        int perGroup = layout.ChannelsPerGroup;
        Shape shape = w.Shape;
        bool ok = shape.Rank == rank + 2 && shape[1] == perGroup;
        for (int i = 0; ok && i < rank; i++)
        {
            ok = shape[i + 2] == geometry.Kernel[i];
        }
        if (!ok)
        {
            string expected = ConvolutionLayout.Describe(new object[] { "K", perGroup }.Concat(geometry.Kernel.Cast<object>()));
            throw new ShapeException($"{op}: {wName} is {shape} but {xName} has {layout.Channels} channels and groups {geometry.Groups} (expected {expected})");
        }
        if (shape[0] % geometry.Groups != 0)
        {
            throw new ShapeException($"{op}: {wName} is {shape} with {shape[0]} filters, which groups {geometry.Groups} does not divide");
        }
        return layout with { Filters = shape[0] };
    }

    /// <summary>Whether a problem has nothing to multiply (no samples, channels or filters): its output is all zeros.</summary>
    private static bool IsEmpty(in ConvolutionLayout l) => l.Batch == 0 || l.GroupRows == 0 || l.FiltersPerGroup == 0;

    private unsafe void ConvolutionForwardKernel<T>(in ConvolutionLayout l, T* x, T* w, T* y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(y, l.Batch * l.Filters * l.OutputSize).Clear();
            return;
        }
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        CpuStorage? block = l.IsPointwise ? null : RentWorkspace<T>((long)l.ColumnRows * positions);
        try
        {
            for (int n = 0; n < l.Batch; n++)
            {
                T* xn = x + (long)n * l.Channels * l.InputSize;
                T* yn = y + (long)n * l.Filters * positions;
                T* col = xn;
                if (block is not null)
                {
                    col = (T*)block.Pointer;
                    Im2Col.Gather(l, xn, col);
                }
                for (int g = 0; g < l.Groups; g++)
                {
                    GemmBlock(false, false, filters, positions, rows,
                        w + (long)g * filters * rows, rows,
                        col + (long)g * rows * positions, positions,
                        false, yn + (long)g * filters * positions, positions);
                }
            }
        }
        finally
        {
            if (block is not null)
            {
                ReturnWorkspace(block);
            }
        }
    }

    private unsafe void ConvolutionBackwardDataKernel<T>(in ConvolutionLayout l, T* dy, T* w, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(dx, l.Batch * l.Channels * l.InputSize).Clear();
            return;
        }
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        int sampleSize = l.Channels * l.InputSize;
        CpuStorage? block = l.IsPointwise ? null : RentWorkspace<T>((long)l.ColumnRows * positions);
        try
        {
            for (int n = 0; n < l.Batch; n++)
            {
                T* dyn = dy + (long)n * l.Filters * positions;
                T* dxn = dx + (long)n * sampleSize;
                // Pointwise: the column matrix is dx itself, so the GEMM writes the answer in place.
                T* col = block is null ? dxn : (T*)block.Pointer;
                for (int g = 0; g < l.Groups; g++)
                {
                    GemmBlock(true, false, rows, positions, filters,
                        w + (long)g * filters * rows, rows,
                        dyn + (long)g * filters * positions, positions,
                        false, col + (long)g * rows * positions, positions);
                }
                if (block is not null)
                {
                    new Span<T>(dxn, sampleSize).Clear();
                    Im2Col.Scatter(l, col, dxn);
                }
            }
        }
        finally
        {
            if (block is not null)
            {
                ReturnWorkspace(block);
            }
        }
    }

    private unsafe void ConvolutionBackwardFilterKernel<T>(in ConvolutionLayout l, T* x, T* dy, T* dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(dw, l.Filters * l.GroupRows).Clear();
            return;
        }
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        CpuStorage? block = l.IsPointwise ? null : RentWorkspace<T>((long)l.ColumnRows * positions);
        try
        {
            for (int n = 0; n < l.Batch; n++)
            {
                T* xn = x + (long)n * l.Channels * l.InputSize;
                T* dyn = dy + (long)n * l.Filters * positions;
                T* col = xn;
                if (block is not null)
                {
                    col = (T*)block.Pointer;
                    Im2Col.Gather(l, xn, col);
                }
                for (int g = 0; g < l.Groups; g++)
                {
                    // The first sample overwrites dw, the rest add to it.
                    GemmBlock(false, true, filters, rows, positions,
                        dyn + (long)g * filters * positions, positions,
                        col + (long)g * rows * positions, positions,
                        n > 0, dw + (long)g * filters * rows, rows);
                }
            }
        }
        finally
        {
            if (block is not null)
            {
                ReturnWorkspace(block);
            }
        }
    }
}
