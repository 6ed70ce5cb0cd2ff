using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Float pooling with a 1×1(×1) window: a strided subsample (CIFAR ResNet's option-A shortcut is a
/// 1×1 max pool of stride 2). Forward copies every stride-th element of every stride-th row,
/// backward writes dy to those places and zeros elsewhere, each row in one pass: the general vector
/// path split every plane into its column phases first and cleared dx before scattering.
/// Bit for bit the plain path's results: a one-element max is the element, a one-element mean is
/// (0 + x) / 1, and backward's 0 + dy (a −0 gradient becomes +0, as in the cleared-dx reference).
/// <c>ENGINE_POOL_SIMD=off</c> turns it off with the other fast pooling paths. Stride 2 across, on AVX-512, moves
/// 16 (or 8) outputs a step: the even lanes of two input vectors gathered by one two-source permute forward, a
/// gradient vector interleaved with zeros backward (<see cref="VectorRows"/>); the scalar loop did one element a
/// step with an index multiply, 2.3 ms of ResNet-20's one-thread inference pass of ~118 ms (perf, benchmarks/NOTES.md).
/// </summary>
internal static unsafe class PoolPointwise
{
    /// <summary>Whether the plan is a 1×1 window, no padding, every output inside the input.</summary>
    public static bool Takes(in PoolPlan p) =>
        PoolSimd.Bits > 0 && p.KD == 1 && p.KH == 1 && p.KW == 1 && p.PD == 0 && p.PH == 0 && p.PW == 0
        && (long)(p.OutD - 1) * p.SD < p.InD && (long)(p.OutH - 1) * p.SH < p.InH && (long)(p.OutW - 1) * p.SW < p.InW;

    /// <summary>Off (<c>ENGINE_POOL_POINTWISE_VECTOR=off</c>): the scalar row loops only (settable for tests and benchmarks).</summary>
    internal static bool VectorRows { get; set; } = Environment.GetEnvironmentVariable("ENGINE_POOL_POINTWISE_VECTOR") != "off";

    /// <summary>Whether rows of stride 2 across run 16 or 8 outputs a step.</summary>
    private static bool Strided2(in PoolPlan p) => VectorRows && p.SW == 2 && PoolSimd.Bits >= 512 && Avx512F.IsSupported;

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
        bool vector = Strided2(p);
        for (int plane = first; plane < end; plane++)
        {
            float* xp = j.X + ((long)plane * p.InVolume), yp = j.Y + ((long)plane * p.OutVolume);
            for (int od = 0; od < p.OutD; od++)
            {
                for (int oh = 0; oh < p.OutH; oh++, yp += p.OutW)
                {
                    float* row = xp + ((((long)od * p.SD * p.InH) + ((long)oh * p.SH)) * p.InW);
                    int done = vector ? EvenLanes(row, yp, p.OutW, p.InW, j.Max) : 0;
                    if (j.Max)
                    {
                        for (int ow = done; ow < p.OutW; ow++)
                        {
                            yp[ow] = row[ow * p.SW];
                        }
                    }
                    else
                    {
                        for (int ow = done; ow < p.OutW; ow++)
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
        bool vector = Strided2(p);
        for (int plane = first; plane < end; plane++)
        {
            float* dxp = j.Dx + ((long)plane * p.InVolume), gy = j.Dy + ((long)plane * p.OutVolume);
            for (int d = 0; d < p.InD; d++)
            {
                bool sampledDepth = d % p.SD == 0 && d / p.SD < p.OutD;
                for (int h = 0; h < p.InH; h++)
                {
                    float* row = dxp + ((((long)d * p.InH) + h) * rowLength);
                    if (!sampledDepth || h % p.SH != 0 || h / p.SH >= p.OutH)
                    {
                        new Span<float>(row, rowLength).Clear();
                        continue;
                    }
                    float* g = gy + ((((long)(d / p.SD) * p.OutH) + (h / p.SH)) * p.OutW);
                    int done = vector ? Interleave(g, row, p.OutW, rowLength) : 0;
                    new Span<float>(row + 2 * done, rowLength - 2 * done).Clear();
                    for (int ow = done; ow < p.OutW; ow++)
                    {
                        row[ow * p.SW] = 0f + g[ow];
                    }
                }
            }
        }
    }

    /// <summary>
    /// y[ow] ← x[2·ow] for the outputs whose inputs lie in the row by whole vectors (32 inputs for 16 outputs, then
    /// 16 for 8); returns how many were written. Average: (0 + x) / 1, as the scalar loop rounds it.
    /// </summary>
    private static int EvenLanes(float* row, float* y, int outWidth, int inWidth, bool max)
    {
        Vector512<int> even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        int ow = 0;
        for (; ow + 16 <= outWidth && 2 * ow + 32 <= inWidth; ow += 16)
        {
            Vector512<float> v = Avx512F.PermuteVar16x32x2(Vector512.Load(row + 2 * ow), even, Vector512.Load(row + 2 * ow + 16));
            (max ? v : (Vector512<float>.Zero + v) / Vector512<float>.One).Store(y + ow);
        }
        if (ow + 8 <= outWidth && 2 * ow + 16 <= inWidth)
        {
            Vector512<float> v = Avx512F.PermuteVar16x32(Vector512.Load(row + 2 * ow), even);
            (max ? v : (Vector512<float>.Zero + v) / Vector512<float>.One).GetLower().Store(y + ow);
            ow += 8;
        }
        return ow;
    }

    /// <summary>
    /// dx[2·ow] ← 0 + dy[ow], dx[2·ow + 1] ← 0 for the outputs whose inputs lie in the row by whole vectors; returns
    /// how many were written (the caller clears the rest of the row).
    /// </summary>
    private static int Interleave(float* g, float* row, int outWidth, int inWidth)
    {
        // Index 16 picks lane 0 of the second source, a zero: dy's 16 values land on the even places of two output vectors.
        Vector512<int> low = Vector512.Create(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
        Vector512<int> high = Vector512.Create(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
        int ow = 0;
        for (; ow + 16 <= outWidth && 2 * ow + 32 <= inWidth; ow += 16)
        {
            Vector512<float> v = Vector512<float>.Zero + Vector512.Load(g + ow);
            Avx512F.PermuteVar16x32x2(v, low, Vector512<float>.Zero).Store(row + 2 * ow);
            Avx512F.PermuteVar16x32x2(v, high, Vector512<float>.Zero).Store(row + 2 * ow + 16);
        }
        if (ow + 8 <= outWidth && 2 * ow + 16 <= inWidth)
        {
            Vector512<float> v = Vector512<float>.Zero + Vector256.Load(g + ow).ToVector512Unsafe();
            Avx512F.PermuteVar16x32x2(v, low, Vector512<float>.Zero).Store(row + 2 * ow);
            ow += 8;
        }
        return ow;
    }
}
