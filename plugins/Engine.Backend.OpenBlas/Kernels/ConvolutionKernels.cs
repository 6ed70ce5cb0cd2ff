using System.Numerics;
using System.Numerics.Tensors;

namespace Engine.Backend.OpenBlas;

/// <summary>Which product a windowed call computes, and so which operand it writes.</summary>
internal enum ConvolutionPass
{
    /// <summary>y from x and w.</summary>
    Forward,

    /// <summary>dx from dy and w.</summary>
    BackwardData,

    /// <summary>dw from x and dy.</summary>
    BackwardFilter,
}

/// <summary>
/// Convolution over 1 to 3 spatial axes: per sample, im2col (<see cref="Im2Col"/>) into the
/// backend's <see cref="ConvolutionWorkspace"/>, then one single-threaded GEMM per group
/// (<see cref="GemmKernel.Block{T}"/>); the samples of a batch are spread
/// over the backend's <see cref="WorkerPool"/>. A 1×1 window with stride 1
/// and no padding skips im2col: the sample already is its column matrix.
/// </summary>
/// <remarks>
/// With X the column matrix of a sample (C·taps × P positions), W a group's filters
/// (K/g × C/g·taps) and Y its output (K/g × P), per group: forward Y = W·X; backward data
/// X̄ = Wᵀ·Ȳ followed by col2im; backward filter W̄ = Σ over samples of Ȳ·Xᵀ.
/// </remarks>
internal static unsafe class ConvolutionKernels
{
    /// <summary>
    /// One windowed pass on operands the contract has checked. <paramref name="input"/> is x (or dx,
    /// written by backward data), <paramref name="filters"/> is w (or dw, written by backward filter),
    /// <paramref name="output"/> is y (written by forward) or dy. Scratch comes from <paramref name="workspace"/>.
    /// </summary>
    public static void Run(ConvolutionPass pass, bool locallyConnected, in ConvolutionLayout layout, DataType type,
        nint input, nint filters, nint output, ConvolutionWorkspace workspace)
    {
        if (type == DataType.Float32)
        {
            Windowed(pass, locallyConnected, layout, (float*)input, (float*)filters, (float*)output, workspace);
        }
        else
        {
            Windowed(pass, locallyConnected, layout, (double*)input, (double*)filters, (double*)output, workspace);
        }
    }

    private static void Windowed<T>(ConvolutionPass pass, bool locallyConnected, in ConvolutionLayout layout, T* input, T* filters, T* output,
        ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (locallyConnected)
        {
            LocallyConnectedKernels.Run(pass, layout, input, filters, output, workspace);
            return;
        }
        switch (pass)
        {
            case ConvolutionPass.Forward:
                ConvolutionForwardKernel(layout, input, filters, output, workspace);
                break;
            case ConvolutionPass.BackwardData:
                ConvolutionBackwardDataKernel(layout, output, filters, input, workspace);
                break;
            default:
                ConvolutionBackwardFilterKernel(layout, input, output, filters, workspace);
                break;
        }
    }

    /// <summary>Whether a problem has nothing to multiply (no samples, channels or filters): its output is all zeros.</summary>
    private static bool IsEmpty(in ConvolutionLayout l) => l.Batch == 0 || l.GroupRows == 0 || l.FiltersPerGroup == 0;

    private static void ConvolutionForwardKernel<T>(in ConvolutionLayout l, T* x, T* w, T* y, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(y, l.Batch * l.Filters * l.OutputSize).Clear();
            return;
        }
        RunOverSamples(ConvolutionPass.Forward, l, x, w, y, &ForwardSample<T>, workspace);
    }

    private static void ConvolutionBackwardDataKernel<T>(in ConvolutionLayout l, T* dy, T* w, T* dx, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(dx, l.Batch * l.Channels * l.InputSize).Clear();
            return;
        }
        RunOverSamples(ConvolutionPass.BackwardData, l, dx, w, dy, &BackwardDataSample<T>, workspace);
    }

    private static void ConvolutionBackwardFilterKernel<T>(in ConvolutionLayout l, T* x, T* dy, T* dw, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(dw, l.Filters * l.GroupRows).Clear();
            return;
        }
        RunOverSamples(ConvolutionPass.BackwardFilter, l, x, dw, dy, &BackwardFilterPart<T>, workspace);
    }

    /// <summary>
    /// Runs one pass over the batch on the <see cref="WorkerPool"/>. Forward and backward data take
    /// one sample per item; backward filter splits the batch into one contiguous range per worker,
    /// each summing its own partial dw (the first range writes dw itself), and adds the partials in
    /// range order afterwards, so the result does not depend on which thread ran what. Scratch is one
    /// workspace block: a column matrix per worker, then the partial dws.
    /// </summary>
    private static void RunOverSamples<T>(ConvolutionPass pass, in ConvolutionLayout l, T* x, T* w, T* y, delegate* managed<void*, int, int, void> body, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        long columns = l.IsPointwise ? 0 : (long)l.ColumnRows * l.OutputSize;
        long filterSize = (long)l.Filters * l.GroupRows;
        int parts = pass == ConvolutionPass.BackwardFilter ? width : l.Batch;
        long scratch = width * columns + (pass == ConvolutionPass.BackwardFilter ? (parts - 1) * filterSize : 0);
        CpuStorage? block = scratch == 0 ? null : workspace.Rent<T>(scratch);
        try
        {
            var job = new ConvolutionJob<T>
            {
                Layout = l,
                X = x,
                W = w,
                Y = y,
                Columns = columns == 0 ? null : (T*)block!.Pointer,
                ColumnsPerWorker = columns,
                Partials = block is null ? null : (T*)block.Pointer + width * columns,
                Parts = parts,
            };
            WorkerPool.For(parts, width, body, &job);
            if (pass == ConvolutionPass.BackwardFilter)
            {
                var dw = new Span<T>(w, checked((int)filterSize));
                for (int p = 1; p < parts; p++)
                {
                    TensorPrimitives.Add(dw, new ReadOnlySpan<T>(job.Partials + (p - 1) * filterSize, dw.Length), dw);
                }
            }
        }
        finally
        {
            if (block is not null)
            {
                workspace.Return(block);
            }
        }
    }

    /// <summary>What the per-sample bodies of one convolution pass read: operands, layout, scratch.</summary>
    private struct ConvolutionJob<T> where T : unmanaged
    {
        public ConvolutionLayout Layout;
        public T* X;        // x, or dx for backward data
        public T* W;        // w, or dw for backward filter
        public T* Y;        // y, or dy for the backward passes
        public T* Columns;  // one column matrix per worker (null for pointwise convolutions)
        public long ColumnsPerWorker;
        public T* Partials; // backward filter: the partial dw of ranges 1..Parts-1
        public int Parts;
    }

    private static void ForwardSample<T>(void* state, int n, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvolutionJob<T> job = ref *(ConvolutionJob<T>*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        T* xn = job.X + (long)n * l.Channels * l.InputSize;
        T* yn = job.Y + (long)n * l.Filters * positions;
        T* col = xn;
        if (job.Columns is not null)
        {
            col = job.Columns + worker * job.ColumnsPerWorker;
            Im2Col.Gather(l, xn, col);
        }
        for (int g = 0; g < l.Groups; g++)
        {
            GemmKernel.Block(false, false, filters, positions, rows,
                job.W + (long)g * filters * rows, rows,
                col + (long)g * rows * positions, positions,
                false, yn + (long)g * filters * positions, positions);
        }
    }

    private static void BackwardDataSample<T>(void* state, int n, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvolutionJob<T> job = ref *(ConvolutionJob<T>*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        int sampleSize = l.Channels * l.InputSize;
        T* dyn = job.Y + (long)n * l.Filters * positions;
        T* dxn = job.X + (long)n * sampleSize;
        // Pointwise: the column matrix is dx itself, so the GEMM writes the answer in place.
        T* col = job.Columns is null ? dxn : job.Columns + worker * job.ColumnsPerWorker;
        for (int g = 0; g < l.Groups; g++)
        {
            GemmKernel.Block(true, false, rows, positions, filters,
                job.W + (long)g * filters * rows, rows,
                dyn + (long)g * filters * positions, positions,
                false, col + (long)g * rows * positions, positions);
        }
        if (job.Columns is not null)
        {
            new Span<T>(dxn, sampleSize).Clear();
            Im2Col.Scatter(l, col, dxn);
        }
    }

    private static void BackwardFilterPart<T>(void* state, int part, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvolutionJob<T> job = ref *(ConvolutionJob<T>*)state;
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        int first = (int)((long)l.Batch * part / job.Parts), end = (int)((long)l.Batch * (part + 1) / job.Parts);
        T* dw = part == 0 ? job.W : job.Partials + (part - 1) * (long)l.Filters * rows;
        for (int n = first; n < end; n++)
        {
            T* xn = job.X + (long)n * l.Channels * l.InputSize;
            T* dyn = job.Y + (long)n * l.Filters * positions;
            T* col = xn;
            if (job.Columns is not null)
            {
                col = job.Columns + worker * job.ColumnsPerWorker;
                Im2Col.Gather(l, xn, col);
            }
            for (int g = 0; g < l.Groups; g++)
            {
                // The range's first sample overwrites its dw, the rest add to it.
                GemmKernel.Block(false, true, filters, rows, positions,
                    dyn + (long)g * filters * positions, positions,
                    col + (long)g * rows * positions, positions,
                    n > first, dw + (long)g * filters * rows, rows);
            }
        }
    }
}
