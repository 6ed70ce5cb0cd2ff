using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Locally connected layers (unshared filters, one set per output position) over 2 spatial axes.
/// The column matrices of all samples are regrouped by position into P blocks of N×R (R = C·kh·kw),
/// so each position is one GEMM over the whole batch instead of N matrix-vector products.
/// </summary>
/// <remarks>
/// Workspace: one sample's column matrix (R×P), the regrouped rows (P×N×R) and the outputs or output
/// gradients regrouped the same way (P×N×K). Per position p with filters W_p (K×R):
/// forward Y_p = X_p·W_pᵀ; backward data X̄_p = Ȳ_p·W_p, then col2im; backward filter W̄_p = Ȳ_pᵀ·X_p.
/// </remarks>
internal static unsafe class LocallyConnectedKernels
{
    /// <summary>
    /// One locally connected pass. <paramref name="x"/> is x or dx (written by backward data),
    /// <paramref name="w"/> is w or dw (written by backward filter), <paramref name="y"/> is y
    /// (written by forward) or dy.
    /// </summary>
    public static void Run<T>(ConvolutionPass pass, in ConvolutionLayout l, T* x, T* w, T* y, ConvolutionWorkspace workspace)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = l.Batch, filters = l.Filters, positions = l.OutputSize, rows = l.ColumnRows;
        if (batch == 0 || filters == 0 || rows == 0)
        {
            long count = pass switch
            {
                ConvolutionPass.Forward => (long)batch * filters * positions,
                ConvolutionPass.BackwardData => (long)batch * l.Channels * l.InputSize,
                _ => (long)positions * filters * rows,
            };
            new Span<T>(pass == ConvolutionPass.Forward ? y : pass == ConvolutionPass.BackwardData ? x : w, checked((int)count)).Clear();
            return;
        }
        long columnSize = (long)rows * positions, rowsSize = (long)positions * batch * rows;
        CpuStorage block = workspace.Rent<T>(columnSize + rowsSize + (long)positions * batch * filters);
        try
        {
            T* col = (T*)block.Pointer;
            T* byPosition = col + columnSize;     // P × N × R
            T* outputs = byPosition + rowsSize;  // P × N × K
            if (pass != ConvolutionPass.BackwardData)
            {
                GatherByPosition(l, x, col, byPosition);
            }
            if (pass != ConvolutionPass.Forward)
            {
                RegroupOutputs(y, outputs, batch, filters, positions, toPositions: true);
            }
            for (int p = 0; p < positions; p++)
            {
                T* xp = byPosition + (long)p * batch * rows;
                T* wp = w + (long)p * filters * rows;
                T* yp = outputs + (long)p * batch * filters;
                switch (pass)
                {
                    case ConvolutionPass.Forward:
                        GemmKernel.Block(false, true, batch, filters, rows, xp, rows, wp, rows, false, yp, filters);
                        break;
                    case ConvolutionPass.BackwardData:
                        GemmKernel.Block(false, false, batch, rows, filters, yp, filters, wp, rows, false, xp, rows);
                        break;
                    default:
                        GemmKernel.Block(true, false, filters, rows, batch, yp, filters, xp, rows, false, wp, rows);
                        break;
                }
            }
            if (pass == ConvolutionPass.Forward)
            {
                RegroupOutputs(y, outputs, batch, filters, positions, toPositions: false);
            }
            else if (pass == ConvolutionPass.BackwardData)
            {
                ScatterByPosition(l, byPosition, col, x);
            }
        }
        finally
        {
            workspace.Return(block);
        }
    }

    /// <summary>byPosition[p, n, r] ← im2col(x[n])[r, p] for every sample.</summary>
    private static void GatherByPosition<T>(in ConvolutionLayout l, T* x, T* col, T* byPosition)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = l.Batch, positions = l.OutputSize, rows = l.ColumnRows;
        for (int n = 0; n < batch; n++)
        {
            Im2Col.Gather(l, x + (long)n * l.Channels * l.InputSize, col);
            for (int r = 0; r < rows; r++)
            {
                T* source = col + (long)r * positions;
                T* target = byPosition + (long)n * rows + r;
                for (int p = 0; p < positions; p++)
                {
                    target[(long)p * batch * rows] = source[p];
                }
            }
        }
    }

    /// <summary>dx[n] ← col2im(byPosition[·, n, ·] read as R×P) for every sample.</summary>
    private static void ScatterByPosition<T>(in ConvolutionLayout l, T* byPosition, T* col, T* dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = l.Batch, positions = l.OutputSize, rows = l.ColumnRows, sampleSize = l.Channels * l.InputSize;
        for (int n = 0; n < batch; n++)
        {
            for (int r = 0; r < rows; r++)
            {
                T* source = byPosition + (long)n * rows + r;
                T* target = col + (long)r * positions;
                for (int p = 0; p < positions; p++)
                {
                    target[p] = source[(long)p * batch * rows];
                }
            }
            T* dxn = dx + (long)n * sampleSize;
            new Span<T>(dxn, sampleSize).Clear();
            Im2Col.Scatter(l, col, dxn);
        }
    }

    /// <summary>Moves between y's N×K×P order and the per-position P×N×K order, either way.</summary>
    private static void RegroupOutputs<T>(T* y, T* byPosition, int batch, int filters, int positions, bool toPositions)
        where T : unmanaged
    {
        for (int n = 0; n < batch; n++)
        {
            for (int k = 0; k < filters; k++)
            {
                T* row = y + ((long)n * filters + k) * positions;
                T* target = byPosition + (long)n * filters + k;
                long step = (long)batch * filters;
                for (int p = 0; p < positions; p++)
                {
                    if (toPositions)
                    {
                        target[p * step] = row[p];
                    }
                    else
                    {
                        row[p] = target[p * step];
                    }
                }
            }
        }
    }
}
