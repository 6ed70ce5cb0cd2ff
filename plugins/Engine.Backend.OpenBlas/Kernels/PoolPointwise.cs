namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float pooling with a 1×1(×1) window: a strided subsample (CIFAR ResNet's option-A shortcut is a
/// 1×1 max pool of stride 2). Forward copies every stride-th element of every stride-th row,
/// backward writes dy to those places and zeros elsewhere, each row in one pass: the general vector
/// path split every plane into its column phases first and cleared dx before scattering.
/// Bit for bit the plain path's results: a one-element max is the element, a one-element mean is
/// (0 + x) / 1, and backward's 0 + dy (a −0 gradient becomes +0, as in the cleared-dx reference).
/// <c>ENGINE_POOL_SIMD=off</c> turns it off with the other fast pooling paths.
/// </summary>
internal static unsafe class PoolPointwise
{
    /// <summary>Whether the plan is a 1×1 window, no padding, every output inside the input.</summary>
    public static bool Takes(in PoolPlan p) =>
        PoolSimd.Bits > 0 && p.KD == 1 && p.KH == 1 && p.KW == 1 && p.PD == 0 && p.PH == 0 && p.PW == 0
        && (long)(p.OutD - 1) * p.SD < p.InD && (long)(p.OutH - 1) * p.SH < p.InH && (long)(p.OutW - 1) * p.SW < p.InW;

    private struct Job
    {
        public PoolPlan Plan;
        public bool Max;
        public float* X, Y, Dy, Dx;
        public int Parts;
    }

    /// <summary>y ← every stride-th element of x (planes split over the pool).</summary>
    public static void Forward(in PoolPlan plan, bool max, float* x, float* y)
    {
        var job = new Job { Plan = plan, Max = max, X = x, Y = y };
        Run(ref job, &ForwardPart);
    }

    /// <summary>dx ← dy at the sampled places, 0 elsewhere.</summary>
    public static void Backward(in PoolPlan plan, float* dy, float* dx)
    {
        var job = new Job { Plan = plan, Dy = dy, Dx = dx };
        Run(ref job, &BackwardPart);
    }

    private static void Run(ref Job job, delegate* managed<void*, int, int, void> part)
    {
        job.Parts = Math.Max(1, Math.Min(ParallelSplit.Parts((long)job.Plan.Planes * job.Plan.InVolume), job.Plan.Planes));
        fixed (Job* state = &job)
        {
            WorkerPool.For(job.Parts, job.Parts, part, state);
        }
    }

    private static void ForwardPart(void* state, int part, int worker)
    {
        ref Job j = ref *(Job*)state;
        PoolPlan p = j.Plan;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, p.Planes, 1);
        for (int plane = first; plane < end; plane++)
        {
            float* xp = j.X + ((long)plane * p.InVolume), yp = j.Y + ((long)plane * p.OutVolume);
            for (int od = 0; od < p.OutD; od++)
            {
                for (int oh = 0; oh < p.OutH; oh++, yp += p.OutW)
                {
                    float* row = xp + ((((long)od * p.SD * p.InH) + ((long)oh * p.SH)) * p.InW);
                    if (j.Max)
                    {
                        for (int ow = 0; ow < p.OutW; ow++)
                        {
                            yp[ow] = row[ow * p.SW];
                        }
                    }
                    else
                    {
                        for (int ow = 0; ow < p.OutW; ow++)
                        {
                            yp[ow] = (0f + row[ow * p.SW]) / 1f;
                        }
                    }
                }
            }
        }
    }

    private static void BackwardPart(void* state, int part, int worker)
    {
        ref Job j = ref *(Job*)state;
        PoolPlan p = j.Plan;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, p.Planes, 1);
        int rowLength = p.InW;
        for (int plane = first; plane < end; plane++)
        {
            float* dxp = j.Dx + ((long)plane * p.InVolume), gy = j.Dy + ((long)plane * p.OutVolume);
            for (int d = 0; d < p.InD; d++)
            {
                bool sampledDepth = d % p.SD == 0 && d / p.SD < p.OutD;
                for (int h = 0; h < p.InH; h++)
                {
                    float* row = dxp + ((((long)d * p.InH) + h) * rowLength);
                    new Span<float>(row, rowLength).Clear();
                    if (!sampledDepth || h % p.SH != 0 || h / p.SH >= p.OutH)
                    {
                        continue;
                    }
                    float* g = gy + ((((long)(d / p.SD) * p.OutH) + (h / p.SH)) * p.OutW);
                    for (int ow = 0; ow < p.OutW; ow++)
                    {
                        row[ow * p.SW] = 0f + g[ow];
                    }
                }
            }
        }
    }
}
