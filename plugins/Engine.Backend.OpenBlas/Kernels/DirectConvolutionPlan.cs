using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// What <see cref="DirectConvolution"/> needs to know of a layout besides the weights: the lane
/// masks (per tap column kw: the lanes whose input column lies inside the row, first and second
/// vector) and, per output row, its taps inside the input in (channel, depth, row, column) order:
/// input offset from the sample, packed-weight offset, mask index; and which rows pair up. It depends
/// on the layout alone (not the batch size), so it is made once per layout and kept: made per call it
/// cost 3–4% of a LeNet-5 training step (perf), more with the batch split's smaller calls.
/// </summary>
internal sealed class DirectConvolutionPlan
{
    /// <summary>Layouts kept; past this many (a test sweeping shapes) the cache starts again.</summary>
    private const int MaxKept = 64;

    private static readonly ConcurrentDictionary<(ConvolutionLayout Layout, int Block), DirectConvolutionPlan> Plans = new();

    private DirectConvolutionPlan(int rows, int taps, int kernelWidth)
    {
        Masks = new Vector512<float>[2 * kernelWidth];
        Offsets = new int[rows * taps];
        Taps = new int[rows * taps];
        MaskAt = new int[rows * taps];
        Counts = new int[rows];
        PairDelta = new int[rows];
    }

    public Vector512<float> Store0 { get; private set; }
    public Vector512<float> Store1 { get; private set; }
    public Vector512<float>[] Masks { get; }
    public int[] Offsets { get; }  // per output row: ColumnRows slots each, Counts[r] used
    public int[] Taps { get; }
    public int[] MaskAt { get; }
    public int[] Counts { get; }
    public int[] PairDelta { get; } // per output row: offset from its taps to row r + 1's when they pair, else 0

    /// <summary>The plan of <paramref name="l"/> with <paramref name="block"/> filters per register block (made on first use).</summary>
    public static DirectConvolutionPlan For(in ConvolutionLayout l, int block)
    {
        var key = (l with { Batch = 0 }, block);
        if (Plans.TryGetValue(key, out DirectConvolutionPlan? plan))
        {
            return plan;
        }
        if (Plans.Count >= MaxKept)
        {
            Plans.Clear();
        }
        plan = Make(l, block);
        return Plans.GetOrAdd(key, plan);
    }

    private static DirectConvolutionPlan Make(in ConvolutionLayout l, int block)
    {
        ConvolutionAxis da = l.Depth, ha = l.Height, wa = l.Width;
        int rows = da.Output * ha.Output;
        var plan = new DirectConvolutionPlan(rows, l.ColumnRows, wa.Kernel);
        Vector512<int> lanes = Vector512<int>.Indices, high = lanes + Vector512.Create(16);
        plan.Store0 = Im2ColMasked.Between(lanes, 0, wa.Output);
        plan.Store1 = Im2ColMasked.Between(high, 0, wa.Output);
        for (int kw = 0; kw < wa.Kernel; kw++)
        {
            int offset = kw * wa.Dilation - wa.Pad;
            plan.Masks[2 * kw] = Im2ColMasked.Between(lanes, -offset, wa.Input - offset) & plan.Store0;
            plan.Masks[2 * kw + 1] = Im2ColMasked.Between(high, -offset, wa.Input - offset) & plan.Store1;
        }
        for (int od = 0, r = 0; od < da.Output; od++)
        {
            for (int oh = 0; oh < ha.Output; oh++, r++)
            {
                int count = 0, at = r * l.ColumnRows;
                for (int c = 0; c < l.Channels; c++)
                {
                    for (int kd = 0; kd < da.Kernel; kd++)
                    {
                        int id = od * da.Stride - da.Pad + kd * da.Dilation;
                        for (int kh = 0; kh < ha.Kernel; kh++)
                        {
                            int ih = oh * ha.Stride - ha.Pad + kh * ha.Dilation;
                            if ((uint)id >= (uint)da.Input || (uint)ih >= (uint)ha.Input)
                            {
                                continue;
                            }
                            int row = c * l.InputSize + (id * ha.Input + ih) * wa.Input;
                            int p = ((c * da.Kernel + kd) * ha.Kernel + kh) * wa.Kernel;
                            for (int kw = 0; kw < wa.Kernel; kw++, count++)
                            {
                                plan.Offsets[at + count] = row + kw * wa.Dilation - wa.Pad;
                                plan.Taps[at + count] = (p + kw) * block;
                                plan.MaskAt[at + count] = 2 * kw;
                            }
                        }
                    }
                }
                plan.Counts[r] = count;
            }
        }
        // Rows r and r + 1 pair up (one-vector rows only) when r + 1's list is r's moved down by one
        // fixed distance: interior rows, whose windows lie wholly inside the input along the height.
        for (int r = 0; r + 1 < rows; r++)
        {
            int at = r * l.ColumnRows, next = at + l.ColumnRows, count = plan.Counts[r];
            bool same = block == 8 && count > 0 && plan.Counts[r + 1] == count;
            int delta = same ? plan.Offsets[next] - plan.Offsets[at] : 0;
            for (int i = 0; same && i < count; i++)
            {
                same = plan.Taps[next + i] == plan.Taps[at + i] && plan.Offsets[next + i] - plan.Offsets[at + i] == delta;
            }
            plan.PairDelta[r] = same ? delta : 0;
        }
        return plan;
    }
}
