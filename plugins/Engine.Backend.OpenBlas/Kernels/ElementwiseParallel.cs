namespace Engine.Backend.OpenBlas;

/// <summary>
/// Binary ops and y ← α·x + β·y over large tensors, cut into element ranges for the
/// <see cref="WorkerPool"/> (<see cref="ParallelSplit"/>): a ResNet's residual add and the network's
/// sum of a branch's gradients run on whole activations (8 MiB at ResNet-20's first stage, batch
/// 128), which on one thread left the second core idle between two parallel convolutions. Each
/// element depends on its own inputs alone, so the result is the same at any cut.
/// <c>ENGINE_ELEMENTWISE_PARALLEL=off</c> keeps them on the calling thread.
/// </summary>
internal static unsafe class ElementwiseParallel
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("ENGINE_ELEMENTWISE_PARALLEL") != "off";

    private struct Job
    {
        public BinaryOp Op;
        public DataType Type;
        public nint A, B, Y;
        public double Alpha, Beta;
        public bool Aliased;
        public int Count, Parts;
    }

    /// <summary>Whether a pass over <paramref name="count"/> elements is split (else the caller runs it whole).</summary>
    public static bool Splits(int count) => Enabled && ParallelSplit.Parts(count) > 1;

    /// <summary>y ← op(a, b), split over the pool.</summary>
    public static void Binary(BinaryOp op, DataType type, nint a, nint b, nint y, int count)
    {
        var job = new Job { Op = op, Type = type, A = a, B = b, Y = y, Count = count, Parts = ParallelSplit.Parts(count) };
        WorkerPool.For(job.Parts, job.Parts, &BinaryPart, &job);
    }

    /// <summary>y ← α·x + β·y, split over the pool.</summary>
    public static void Axpby(DataType type, double alpha, nint x, double beta, nint y, int count, bool aliased)
    {
        var job = new Job { Type = type, A = x, Y = y, Alpha = alpha, Beta = beta, Aliased = aliased, Count = count, Parts = ParallelSplit.Parts(count) };
        WorkerPool.For(job.Parts, job.Parts, &AxpbyPart, &job);
    }

    private static void BinaryPart(void* state, int part, int worker)
    {
        ref Job j = ref *(Job*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Count, ParallelSplit.Alignment);
        int size = j.Type.SizeInBytes();
        ElementwiseKernels.BinaryWhole(j.Op, j.Type, j.A + (first * size), j.B + (first * size), j.Y + (first * size), end - first);
    }

    private static void AxpbyPart(void* state, int part, int worker)
    {
        ref Job j = ref *(Job*)state;
        (int first, int end) = ParallelSplit.Range(part, j.Parts, j.Count, ParallelSplit.Alignment);
        int size = j.Type.SizeInBytes();
        ElementwiseKernels.AxpbyWhole(j.Type, j.Alpha, j.A + (first * size), j.Beta, j.Y + (first * size), end - first, j.Aliased);
    }
}
