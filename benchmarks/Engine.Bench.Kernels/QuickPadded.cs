using System.Globalization;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Bench;

/// <summary>
/// <c>--quick-padded [rounds] [case]</c>: the padded direct 3×3 kernel's position tile (<see cref="PaddedDirectConvolution"/>)
/// on every CIFAR ResNet-20 and VGG-CIFAR layer it takes (batch 128, batch-norm + ReLU epilogue, one thread), with its
/// variants alternating call by call in one process: the tile over all channels at once and the input copied row by row
/// (the reference order of work), channel chunks (<c>ENGINE_PADDED_DIRECT_CHUNK</c>), whole-plane copies
/// (<c>ENGINE_PADDED_PLANE_COPY</c>) both, the 8 × 3 register tile (<c>ENGINE_PADDED_TILE</c>), the nine stride-2 copies copy by copy
/// (<c>ENGINE_PADDED_ROW_COPY=off</c>), and every size rule (the default); then the sample copies alone over the batch, copy by
/// copy and by the rule. The column 3copies is every rule but the one padded copy (<c>ENGINE_PADDED_ONE_COPY=off</c>). Timed by the thread's CPU clock (what a loaded machine cannot inflate),
/// the fastest of <c>rounds</c> calls kept; "same" when a variant's output is bit for bit the first one's.
/// </summary>
internal static unsafe class QuickPadded
{
    /// <summary>The layers: (name, layout).</summary>
    internal static (string Name, ConvolutionLayout Layout)[] Layers() =>
    [
        ("r20-stem", Conv(3, 32, 16, 1)),
        ("r20-16x32", Conv(16, 32, 16, 1)),
        ("r20-s2-32", Conv(16, 32, 32, 2)),
        ("r20-32x16", Conv(32, 16, 32, 1)),
        ("r20-s2-64", Conv(32, 16, 64, 2)),
        ("r20-64x8", Conv(64, 8, 64, 1)),
        ("vgg-stem", Conv(3, 32, 32, 1)),
        ("vgg-32x32", Conv(32, 32, 32, 1)),
        ("vgg-64a", Conv(32, 16, 64, 1)),
        ("vgg-64x16", Conv(64, 16, 64, 1)),
        ("vgg-128a", Conv(64, 8, 128, 1)),
        ("vgg-128x8", Conv(128, 8, 128, 1)),
    ];

    /// <summary>The copies alone (<see cref="PaddedDirectConvolution.Copy"/>: whole planes or rows, nine gathered for stride 2) of every sample, fastest of <paramref name="rounds"/>.</summary>
    private static double CopyTime(in ConvolutionLayout l, float* x, int rounds)
    {
        (int count, int copyRows) = PaddedDirectConvolution.CopyShape(l);
        long shifted = (long)l.Channels * copyRows * l.Width.Output, floats = count * shifted + 64;
        float* copies = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
        new Span<float>(copies, (int)floats).Clear();
        double best = double.MaxValue;
        for (int r = 0; r < rounds; r++)
        {
            double start = QuickPacked.Now(false);
            for (int n = 0; n < l.Batch; n++)
            {
                PaddedDirectConvolution.Copy(l, x + (long)n * l.Channels * l.InputSize, copies, shifted, copyRows);
            }
            best = Math.Min(best, QuickPacked.Now(false) - start);
        }
        NativeMemory.AlignedFree(copies);
        return best;
    }

    private static ConvolutionLayout Conv(int channels, int size, int filters, int stride)
    {
        var axis = new ConvolutionAxis(size, (size + 2 - 3) / stride + 1, 3, stride, 1, 1);
        return new ConvolutionLayout(128, channels, filters, 1, ConvolutionAxis.Unit, axis, axis);
    }

    public static void Run(int rounds, string? only)
    {
        using var backend = new OpenBlasBackend(); // loads OpenBLAS
        int width = WorkerPool.Width;
        WorkerPool.Width = 1;
        bool? direct = PaddedDirectConvolution.Forced, blocks = FilterBlockConvolution.Forced;
        (bool? Chunk, bool? Plane, bool? Tile, bool? Rows) saved = (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy, PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies);
        bool? oneCopy = PaddedDirectConvolution.OneCopy;
        (PaddedDirectConvolution.Forced, FilterBlockConvolution.Forced) = (true, false);
        // The reference order of work (all off, three shifted copies), chunks, whole planes, both, the 8 × 3 tile, the nine stride-2
        // copies copy by copy, every rule but the one padded copy (3copies), every rule.
        (bool? Chunk, bool? Plane, bool? Tile, bool? Rows, bool? One)[] variants =
            [(false, false, false, false, false), (true, false, false, false, false), (false, true, false, false, false), (true, true, false, false, false),
             (null, null, true, null, null), (null, null, null, false, null), (null, null, null, null, false), (null, null, null, null, null)];
        Console.WriteLine($"thread CPU clock, minimum of {rounds} calls; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine($"{"layer",-10} {"rows",9} {"chunks",9} {"planes",9} {"both",9} {"8x3",9} {"taps",9} {"3copies",9} {"rule",9} {"copies",7} {"rowcopies",9}   ms; GFLOP/s of each; bits against rows");
        var workspace = new ConvolutionWorkspace();
        foreach (var (name, l) in Layers())
        {
            if (only is not null && !name.StartsWith(only, StringComparison.Ordinal))
            {
                continue;
            }
            long xs = (long)l.Batch * l.Channels * l.InputSize, ws = (long)l.Filters * l.GroupRows, ys = (long)l.Batch * l.Filters * l.OutputSize;
            float* x = QuickConvolution.Fill(xs), w = QuickConvolution.Fill(ws), scale = QuickConvolution.Fill(l.Filters), shift = QuickConvolution.Fill(l.Filters);
            nint[] y = [.. variants.Select(_ => (nint)QuickConvolution.Fill(ys))];
            var epilogue = new ConvolutionEpilogue((nint)scale, (nint)shift, Activation.Relu, 0);
            double flops = 2.0 * l.Batch * l.Filters * l.GroupRows * l.OutputSize;
            double[] best = [.. variants.Select(_ => double.MaxValue)];
            for (int r = 0; r < rounds; r++)
            {
                for (int v = 0; v < variants.Length; v++)
                {
                    (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy, PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies, PaddedDirectConvolution.OneCopy) = variants[v];
                    double start = QuickPacked.Now(false);
                    ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)x, (nint)w, y[v], workspace, epilogue);
                    best[v] = Math.Min(best[v], QuickPacked.Now(false) - start);
                }
            }
            // The copies alone: stride 2 copy by copy and row by row (stride 1: the same copies twice).
            (PaddedDirectConvolution.PlaneCopy, PaddedDirectConvolution.RowCopies) = (null, false);
            double copy = CopyTime(l, x, rounds);
            PaddedDirectConvolution.RowCopies = null;
            double rowCopy = CopyTime(l, x, rounds);
            string bits = string.Join(", ", y.Skip(1).Select(p => new Span<float>((float*)p, (int)ys).SequenceEqual(new Span<float>((float*)y[0], (int)ys)) ? "same" : "DIFFERS"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-10} {best[0],9:F2} {best[1],9:F2} {best[2],9:F2} {best[3],9:F2} {best[4],9:F2} {best[5],9:F2} {best[6],9:F2} {best[7],9:F2} {copy,7:F2} {rowCopy,9:F2}   {string.Join(" / ", best.Select(b => (flops / b / 1e6).ToString("F0", CultureInfo.InvariantCulture)))}  {bits}"));
            foreach (nint p in y.Concat([(nint)x, (nint)w, (nint)scale, (nint)shift]))
            {
                NativeMemory.AlignedFree((void*)p);
            }
        }
        (PaddedDirectConvolution.Forced, FilterBlockConvolution.Forced, WorkerPool.Width) = (direct, blocks, width);
        (PaddedDirectConvolution.ChunkedTiles, PaddedDirectConvolution.PlaneCopy, PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies) = saved;
        PaddedDirectConvolution.OneCopy = oneCopy;
        workspace.Release();
    }
}
