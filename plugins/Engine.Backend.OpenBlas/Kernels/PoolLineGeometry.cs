namespace Engine.Backend.OpenBlas;

/// <summary>
/// Where <see cref="PoolLines"/> keeps things, in floats, for one plan and vector width: a padded
/// input line (its column phases one after another, each with the left padding's slots first),
/// the per-row column results, and the padded output rows backward reads around each column.
/// </summary>
internal readonly struct PoolLineGeometry
{
    /// <summary>Slots before a phase's first input column: ⌈PW / SW⌉.</summary>
    public readonly int PadSlots;

    /// <summary>Input columns per phase, at most: ⌈InW / SW⌉ (backward's dx vectors run over these).</summary>
    public readonly int Columns;

    /// <summary>Output columns rounded up to whole vectors: a row of column results.</summary>
    public readonly int RowStride;

    /// <summary>One past the last slot of a phase that a tap reads.</summary>
    public readonly int FillEnd;

    /// <summary>Floats per phase, FillEnd plus room for the last padding store.</summary>
    public readonly int PhaseStride;

    /// <summary>Floats per line (all phases).</summary>
    public readonly int LineStride;

    /// <summary>Slots before output column 0 in a padded output row (at least the largest column reach back).</summary>
    public readonly int OutPad;

    /// <summary>Floats (or ints) per padded output row.</summary>
    public readonly int OutStride;

    public PoolLineGeometry(in PoolPlan p, int lanes)
    {
        int s = p.SW;
        PadSlots = (p.PW + s - 1) / s;
        Columns = (p.InW + s - 1) / s;
        RowStride = RoundUp(p.OutW, lanes);
        FillEnd = PadSlots + Math.Max(Columns, RowStride + p.KW);
        PhaseStride = RoundUp(FillEnd + lanes, lanes);
        LineStride = s * PhaseStride;
        OutPad = p.KW;
        OutStride = RoundUp(OutPad + Math.Max(RoundUp(Columns, lanes), RowStride) + p.KW + lanes, lanes);
    }

    /// <summary>
    /// Where tap t of output column 0 lies in a line: input column t − PW is slot
    /// PadSlots + ⌊(t − PW) / SW⌋ of phase (t − PW) mod SW; output column ow adds ow.
    /// </summary>
    public unsafe void TapOffsets(in PoolPlan p, int* taps)
    {
        for (int t = 0; t < p.KW; t++)
        {
            int c = t - p.PW;
            int phase = ((c % p.SW) + p.SW) % p.SW;
            taps[t] = (phase * PhaseStride) + PadSlots + ((c - phase) / p.SW);
        }
    }

    /// <summary>Output columns 0 … count − 1: the first column tap that is not padding, max(0, PW − ow·SW).</summary>
    public static unsafe void FirstRealTaps(in PoolPlan p, int* firstReal, int count)
    {
        for (int i = 0; i < count; i++)
        {
            firstReal[i] = Math.Max(0, p.PW - (i * p.SW));
        }
    }

    /// <summary>Real columns of each output column's window (1 past the row): the average's divisor along a row.</summary>
    public unsafe void ColumnCounts(in PoolPlan p, float* counts)
    {
        for (int ow = 0; ow < RowStride; ow++)
        {
            (int w0, int w1) = ow < p.OutW ? PoolingKernels.Taps(ow, p.SW, p.PW, p.KW, 1, p.InW) : (0, 1);
            counts[ow] = w1 - w0;
        }
    }

    private static int RoundUp(int n, int lanes) => (n + lanes - 1) / lanes * lanes;
}
