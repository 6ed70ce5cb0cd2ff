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
internal static unsafe partial class ConvolutionKernels
{
    /// <summary>
    /// One windowed pass on operands the contract has checked. <paramref name="input"/> is x (or dx,
    /// written by backward data), <paramref name="filters"/> is w (or dw, written by backward filter),
    /// <paramref name="output"/> is y (written by forward) or dy. Scratch comes from <paramref name="workspace"/>.
    /// <paramref name="filterStorage"/>: w's storage, whose cache (<see cref="DerivedFilters"/>) forward kernels use for what
    /// they derive from w; null: derive every call.
    /// </summary>
    public static void Run(ConvolutionPass pass, bool locallyConnected, in ConvolutionLayout layout, DataType type,
        nint input, nint filters, nint output, ConvolutionWorkspace workspace, ConvolutionEpilogue epilogue = default, CpuStorage? filterStorage = null)
    {
        if (type == DataType.Float32)
        {
            Windowed(pass, locallyConnected, layout, (float*)input, (float*)filters, (float*)output, workspace, epilogue, filterStorage);
        }
        else
        {
            Windowed(pass, locallyConnected, layout, (double*)input, (double*)filters, (double*)output, workspace, epilogue, filterStorage);
        }
    }

    private static void Windowed<T>(ConvolutionPass pass, bool locallyConnected, in ConvolutionLayout layout, T* input, T* filters, T* output,
        ConvolutionWorkspace workspace, ConvolutionEpilogue epilogue, CpuStorage? filterStorage)
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
                ConvolutionForwardKernel(layout, input, filters, output, workspace, epilogue, filterStorage);
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

    private static void ConvolutionForwardKernel<T>(in ConvolutionLayout l, T* x, T* w, T* y, ConvolutionWorkspace workspace, ConvolutionEpilogue epilogue,
        CpuStorage? filterStorage)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(y, l.Batch * l.Filters * l.OutputSize).Clear();
            epilogue.ApplyToBatch(y, l.Batch, l.Filters, l.OutputSize);
            return;
        }
        if (PhaseRowConvolution.Applies<T>(l))
        {
            PhaseRowConvolution.Forward(l, (float*)x, (float*)w, (float*)y, workspace, epilogue);
            return;
        }
        // Where it declines (a weight not finite: its skipped padding taps would not be the reference's), the next path runs.
        if (RowFilterConvolution.Applies<T>(l) && RowFilterConvolution.TryForward(l, (float*)x, (float*)w, (float*)y, workspace, epilogue, filterStorage, out bool applied))
        {
            if (!applied)
            {
                epilogue.ApplyToBatch(y, l.Batch, l.Filters, l.OutputSize);
            }
            return;
        }
        if (PaddedDirectConvolution.Applies<T>(l))
        {
            if (!PaddedDirectConvolution.Forward(l, (float*)x, (float*)w, (float*)y, workspace, epilogue, filterStorage))
            {
                epilogue.ApplyToBatch(y, l.Batch, l.Filters, l.OutputSize);
            }
            return;
        }
        if (FilterVectorConvolution.Applies<T>(l) && FilterVectorConvolution.TakesEpilogue(epilogue))
        {
            FilterVectorConvolution.Forward(l, (float*)x, (float*)w, (float*)y, epilogue);
            return;
        }
        if (DirectConvolution.Applies<T>(l))
        {
            if (!DirectConvolution.Forward(l, (float*)x, (float*)w, (float*)y, epilogue))
            {
                epilogue.ApplyToBatch(y, l.Batch, l.Filters, l.OutputSize);
            }
            return;
        }
        if (WinogradConvolution.Applies<T>(l, ConvolutionPass.Forward))
        {
            WinogradConvolution.Forward(l, (float*)x, (float*)w, (float*)y, workspace, epilogue, filterStorage);
            return;
        }
        if (BatchedConvolution.Applies<T>(l))
        {
            BatchedConvolution.Forward(l, (float*)x, (float*)w, (float*)y, workspace, epilogue, filterStorage);
            return;
        }
        RunOverSamples(ConvolutionPass.Forward, l, x, w, y, &ForwardSample<T>, workspace, epilogue);
    }

    /// <summary>
    /// Whether forward of <paramref name="l"/> applies an epilogue with a residual (<see cref="ConvolutionEpilogue.WithResidual"/>):
    /// every path but the LeNet-size kernels that apply their own epilogue in registers. <see cref="RowFilterConvolution"/> takes the
    /// residual too, but is not asked: by its rule it runs only where the padded kernel would (which is), and a layer it is forced
    /// onto may fall through to one of those kernels (a weight not finite), which would drop the residual.
    /// </summary>
    public static bool ForwardTakesResidual(in ConvolutionLayout l, DataType type) => type == DataType.Float32
        ? IsEmpty(l) || PhaseRowConvolution.Applies<float>(l) || PaddedDirectConvolution.Applies<float>(l) || !(FilterVectorConvolution.Applies<float>(l) || DirectConvolution.Applies<float>(l))
        : IsEmpty(l) || !(FilterVectorConvolution.Applies<double>(l) || DirectConvolution.Applies<double>(l));

    private static void ConvolutionBackwardDataKernel<T>(in ConvolutionLayout l, T* dy, T* w, T* dx, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (IsEmpty(l))
        {
            new Span<T>(dx, l.Batch * l.Channels * l.InputSize).Clear();
            return;
        }
        // Stride-1 3×3 layers with rows a multiple of 8 wide: the forward row × filter tile over dy (RowFilterConvolution.DataGradient.cs).
        if (RowFilterConvolution.AppliesBackwardData<T>(l) && RowFilterConvolution.TryBackwardData(l, (float*)dy, (float*)w, (float*)dx, workspace))
        {
            return;
        }
        if (WinogradConvolution.Applies<T>(l, ConvolutionPass.BackwardData))
        {
            WinogradConvolution.BackwardData(l, (float*)dy, (float*)w, (float*)dx, workspace);
            return;
        }
        // 3 to 6 channels (an RGB first layer, LeNet's conv2): the channels of 4-8 vectors in registers.
        if (SmallChannelDataGradient.Applies<T>(l))
        {
            SmallChannelDataGradient.Run(l, (float*)dy, (float*)w, (float*)dx, workspace);
            return;
        }
        // Direct backward data is tuned for LeNet-size 5x5 layers; 3x3 stride-1 layers big enough
        // for Winograd take that path first (measured faster on them).
        if (DirectDataGradient.Applies<T>(l))
        {
            DirectDataGradient.Run(l, (float*)dy, (float*)w, (float*)dx);
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
        // 3×3 padding-1 layers of stride 1 or 2: filters along the vector as the forward tile (RowFilterConvolution.FilterGradient.cs).
        if (RowFilterConvolution.AppliesFilterGradient<T>(l) && RowFilterConvolution.TryFilterGradient(l, (float*)x, (float*)dy, (float*)dw, workspace))
        {
            return;
        }
        if (WinogradFilterGradient.Applies<T>(l))
        {
            WinogradFilterGradient.Run(l, (float*)x, (float*)dy, (float*)dw, workspace);
            return;
        }
        if (DirectFilterGradient.Applies<T>(l))
        {
            DirectFilterGradient.Run(l, (float*)x, (float*)dy, (float*)dw, workspace);
            return;
        }
        if (SmallChannelFilterGradient.Applies<T>(l))
        {
            SmallChannelFilterGradient.Run(l, (float*)x, (float*)dy, (float*)dw, workspace);
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
    private static void RunOverSamples<T>(ConvolutionPass pass, in ConvolutionLayout l, T* x, T* w, T* y, delegate* managed<void*, int, int, void> body, ConvolutionWorkspace workspace,
        ConvolutionEpilogue epilogue = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = Math.Max(1, Math.Min(WorkerPool.Width, l.Batch));
        int together = pass switch
        {
            ConvolutionPass.BackwardFilter => SamplesPerFilterProduct<T>(l),
            ConvolutionPass.Forward => SamplesPerForwardProduct<T>(l),
            _ => SamplesPerBackwardProduct<T>(ConvolutionPass.BackwardData, l),
        };
        // Batched passes: the column matrices of `together` samples side by side, then their y or dy rows.
        long columns = l.IsPointwise ? 0 : (long)together * (l.ColumnRows + (together > 1 ? l.Filters : 0)) * l.OutputSize;
        long filterSize = (long)l.Filters * l.GroupRows;
        int parts = pass == ConvolutionPass.BackwardFilter ? width : (l.Batch + together - 1) / together;
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
                Together = together,
                Epilogue = epilogue,
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
        public int Together; // samples per product (1: one product per sample)
        public ConvolutionEpilogue Epilogue; // forward: applied to each sample's y right after it is computed
    }

    /// <summary>
    /// How many samples backward filter puts into one product dw += dy·colᵀ. Its depth is the output
    /// positions, and the own kernel (<see cref="SmallGemm.MultiplyTransposedB"/>) pays a lane
    /// reduction per result, so a shallow product (LeNet conv2: 100 positions) is run over enough
    /// samples' columns side by side to make it deep. Float32 only, one group, with im2col; the
    /// grouping depends only on the layout, so results stay reproducible at a given thread count.
    /// </summary>
    private static int SamplesPerFilterProduct<T>(in ConvolutionLayout l) where T : unmanaged
    {
        int together = SamplesTogether<T>(l);
        return together > 1 && SmallGemm.TakesTransposedB(l.Filters, l.GroupRows, together * l.OutputSize)
            ? together
            : SamplesPerBackwardProduct<T>(ConvolutionPass.BackwardFilter, l); // small planes on the packed kernel (ConvolutionKernels.BatchedBackward.cs)
    }

    /// <summary>
    /// How many samples forward puts into one product y = w·col: a product 100 columns wide (LeNet
    /// conv2) spends much of its time in the column tail and the per-call set-up; 400 wide does not.
    /// Each output is the same chain of FMAs either way, so grouping does not change the result.
    /// </summary>
    private static int SamplesPerForwardProduct<T>(in ConvolutionLayout l) where T : unmanaged
    {
        int together = SamplesTogether<T>(l);
        return together > 1 && SmallGemm.Takes(l.Filters, together * l.OutputSize, l.GroupRows) ? together : 1;
    }

    /// <summary>Samples side by side that make a product at least <see cref="SmallGemm.MinDotDepth"/> positions long; 1 where grouping does not apply.</summary>
    private static int SamplesTogether<T>(in ConvolutionLayout l) where T : unmanaged
    {
        if (typeof(T) != typeof(float) || SmallGemm.Bits == 0 || l.Groups != 1 || l.IsPointwise || l.OutputSize >= SmallGemm.MinDotDepth)
        {
            return 1;
        }
        // Deep enough, and preferably a whole number of 16-float vectors deep: the remainder is summed
        // as one scalar chain per result (LeNet conv2: 4 samples, 400 deep, rather than 3 and 300).
        int least = (SmallGemm.MinDotDepth + l.OutputSize - 1) / l.OutputSize, together = least;
        while (together < 2 * least && together * l.OutputSize % 16 != 0)
        {
            together++;
        }
        together = together * l.OutputSize % 16 == 0 ? together : least;
        return Math.Min(l.Batch, together);
    }

    private static void ForwardSample<T>(void* state, int n, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvolutionJob<T> job = ref *(ConvolutionJob<T>*)state;
        if (job.Together > 1)
        {
            ForwardTogether(ref job, n, worker); // n is a chunk of samples here
            return;
        }
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        T* xn = job.X + (long)n * l.Channels * l.InputSize;
        T* yn = job.Y + (long)n * l.Filters * positions;
        if (ColumnSlices.RowsPerSlice<T>(l) is > 0 and int slice)
        {
            ColumnSlices.Forward(l, xn, job.W, yn, job.Columns + worker * job.ColumnsPerWorker, slice, job.Epilogue);
            return;
        }
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
        job.Epilogue.Apply(yn, 1, l.Filters, positions);
    }

    private static void BackwardDataSample<T>(void* state, int n, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref ConvolutionJob<T> job = ref *(ConvolutionJob<T>*)state;
        if (job.Together > 1)
        {
            BackwardDataTogether(ref job, n, worker); // n is a chunk of samples here
            return;
        }
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.FiltersPerGroup;
        int sampleSize = l.Channels * l.InputSize;
        T* dyn = job.Y + (long)n * l.Filters * positions;
        T* dxn = job.X + (long)n * sampleSize;
        if (ColumnSlices.RowsPerSlice<T>(l) is > 0 and int slice)
        {
            ColumnSlices.BackwardData(l, dyn, job.W, dxn, job.Columns + worker * job.ColumnsPerWorker, slice);
            return;
        }
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
        if (job.Together > 1)
        {
            BackwardFilterTogether(ref job, first, end, worker, dw);
            return;
        }
        int slice = ColumnSlices.RowsPerSlice<T>(l);
        for (int n = first; n < end; n++)
        {
            T* xn = job.X + (long)n * l.Channels * l.InputSize;
            T* dyn = job.Y + (long)n * l.Filters * positions;
            if (slice > 0)
            {
                ColumnSlices.BackwardFilter(l, xn, dyn, dw, job.Columns + worker * job.ColumnsPerWorker, slice, n > first);
                continue;
            }
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

    /// <summary>
    /// Backward filter over samples [first, end), <see cref="ConvolutionJob{T}.Together"/> at a time:
    /// their column matrices gathered side by side (rows × s·P) and their dy copied likewise
    /// (filters × s·P), so each product is one deep dw += dy·colᵀ.
    /// </summary>
    private static void BackwardFilterTogether<T>(ref ConvolutionJob<T> job, int first, int end, int worker, T* dw)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.Filters;
        T* col = job.Columns + worker * job.ColumnsPerWorker;
        T* dyPanel = col + (long)job.Together * rows * positions;
        for (int n0 = first; n0 < end; n0 += job.Together)
        {
            int count = Math.Min(job.Together, end - n0), ld = count * positions;
            for (int s = 0; s < count; s++)
            {
                Im2Col.Gather(l, job.X + (long)(n0 + s) * l.Channels * l.InputSize, col + (long)s * positions, ld);
                CopyRows(job.Y + (long)(n0 + s) * filters * positions, dyPanel + (long)s * positions, filters, positions, ld);
            }
            GemmKernel.Block(false, true, filters, rows, ld, dyPanel, ld, col, ld, n0 > first, dw, rows);
        }
    }

    /// <summary>
    /// Forward of samples [chunk·s, chunk·s + s): their column matrices gathered side by side
    /// (rows × s·P), one product into a panel (filters × s·P), whose rows are copied to each sample's y.
    /// </summary>
    private static void ForwardTogether<T>(ref ConvolutionJob<T> job, int chunk, int worker)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref readonly ConvolutionLayout l = ref job.Layout;
        int positions = l.OutputSize, rows = l.GroupRows, filters = l.Filters;
        int n0 = chunk * job.Together, count = Math.Min(job.Together, l.Batch - n0), ld = count * positions;
        T* col = job.Columns + worker * job.ColumnsPerWorker;
        T* yPanel = col + (long)job.Together * rows * positions;
        for (int s = 0; s < count; s++)
        {
            Im2Col.Gather(l, job.X + (long)(n0 + s) * l.Channels * l.InputSize, col + (long)s * positions, ld);
        }
        GemmKernel.Block(false, false, filters, ld, rows, job.W, rows, col, ld, false, yPanel, ld);
        for (int s = 0; s < count; s++)
        {
            T* yn = job.Y + (long)(n0 + s) * filters * positions;
            for (int f = 0; f < filters; f++)
            {
                new ReadOnlySpan<T>(yPanel + (long)f * ld + s * positions, positions).CopyTo(new Span<T>(yn + (long)f * positions, positions));
            }
            job.Epilogue.Apply(yn, 1, filters, positions);
        }
    }
}
