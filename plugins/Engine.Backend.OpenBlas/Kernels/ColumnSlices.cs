using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The big-convolution path (ResNet/VGG-size layers whose products go to <see cref="PackedGemm"/>):
/// a sample's column matrix is built and used a slice of output rows at a time instead of whole.
/// A whole one is large (576 rows × 3136 positions, 7 MB, for a 64-channel 56×56 3×3 layer), so
/// im2col wrote it out to memory and the product read it back; a slice of about 1 MB stays in the
/// core's second-level cache between the two, which saves most of the memory traffic of a pass.
/// </summary>
/// <remarks>
/// Forward and backward filter give the same bits as the whole matrix: each result is one chain
/// of fused multiply-adds in position order, which backward filter continues slice after slice
/// (the packed kernel reloads C into its accumulators). Backward data adds into dx slice by slice,
/// a fixed order that depends only on the layout, so it too is reproducible run to run.
/// </remarks>
internal static unsafe class ColumnSlices
{
    /// <summary>Floats a column slice may take (1 MB); settable so tests can force many slices on small layers.</summary>
    internal static int BudgetFloats { get; set; } = 1 << 18;

    /// <summary>
    /// Output rows per slice for a pass of <paramref name="l"/>, or 0 where the pass runs on the whole
    /// column matrix (not float, grouped, pointwise, 3-D, products not on the packed kernel, or small
    /// enough to fit the budget anyway).
    /// </summary>
    public static int RowsPerSlice<T>(in ConvolutionLayout l) where T : unmanaged
    {
        if (typeof(T) != typeof(float) || l.Groups != 1 || l.IsPointwise || l.Depth.Output != 1
            || !PackedGemm.Takes(l.Filters, l.OutputSize, l.GroupRows))
        {
            return 0;
        }
        int width = l.Width.Output;
        // At least 32 positions per slice, so the packed kernel still has whole column slivers.
        int rows = Math.Max((31 + width) / width, (int)(BudgetFloats / ((long)l.GroupRows * width)));
        return rows >= l.Height.Output ? 0 : rows;
    }

    /// <summary>
    /// Whether forward applies the epilogue to each slice right after its product (the slice's outputs still in
    /// the second-level cache) rather than to the whole sample after the last slice (ResNet-18's first layer:
    /// 3.2 MB a sample, read and written again from memory). The same function per element, so the same bits.
    /// <c>ENGINE_SLICE_EPILOGUE=on|off</c> (default on); settable inside the assembly for tests and benchmarks.
    /// </summary>
    public static bool EpiloguePerSlice { get; internal set; } =
        WinogradConvolution.ParseSetting(Environment.GetEnvironmentVariable("ENGINE_SLICE_EPILOGUE")) != false;

    /// <summary>y of one sample, slice by slice: gather, then y[:, slice] = w·col, then the epilogue (per slice or after the last).</summary>
    public static void Forward<T>(in ConvolutionLayout l, T* x, T* w, T* y, T* col, int slice, in ConvolutionEpilogue epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = l.Width.Output, positions = l.OutputSize, rows = l.GroupRows;
        bool perSlice = EpiloguePerSlice;
        for (int first = 0; first < l.Height.Output; first += slice)
        {
            int end = Math.Min(first + slice, l.Height.Output), count = (end - first) * width;
            Im2Col.Gather(l, x, col, count, first, end);
            GemmKernel.Block(false, false, l.Filters, count, rows, w, rows, col, count, false, y + (long)first * width, positions);
            if (perSlice)
            {
                epilogue.ApplyColumns(y, l.Filters, positions, first * width, count);
            }
        }
        if (!perSlice)
        {
            epilogue.Apply(y, 1, l.Filters, positions);
        }
    }

    /// <summary>dx of one sample (cleared here), slice by slice: col = wᵀ·dy[:, slice], then col2im into dx.</summary>
    public static void BackwardData<T>(in ConvolutionLayout l, T* dy, T* w, T* dx, T* col, int slice)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = l.Width.Output, positions = l.OutputSize, rows = l.GroupRows;
        new Span<T>(dx, l.Channels * l.InputSize).Clear();
        for (int first = 0; first < l.Height.Output; first += slice)
        {
            int end = Math.Min(first + slice, l.Height.Output), count = (end - first) * width;
            GemmKernel.Block(true, false, rows, count, l.Filters, w, rows, dy + (long)first * width, positions, false, col, count);
            Im2Col.Scatter(l, col, dx, count, first, end);
        }
    }

    /// <summary>dw (+)= dy·colᵀ of one sample, slice by slice; <paramref name="accumulate"/>: add to dw rather than overwrite it.</summary>
    public static void BackwardFilter<T>(in ConvolutionLayout l, T* x, T* dy, T* dw, T* col, int slice, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = l.Width.Output, positions = l.OutputSize, rows = l.GroupRows;
        for (int first = 0; first < l.Height.Output; first += slice)
        {
            int end = Math.Min(first + slice, l.Height.Output), count = (end - first) * width;
            Im2Col.Gather(l, x, col, count, first, end);
            GemmKernel.Block(false, true, l.Filters, rows, count, dy + (long)first * width, positions, col, count,
                accumulate || first > 0, dw, rows);
        }
    }
}
