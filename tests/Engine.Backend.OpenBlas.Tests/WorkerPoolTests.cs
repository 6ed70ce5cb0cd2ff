namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The backend's pool (<see cref="WorkerPool"/>), steady (the default) and the earlier one
/// (<c>ENGINE_POOL_STEADY=off</c>): every item runs exactly once on a worker index below the loop's
/// width, also when loops come after pauses long enough that the workers went to sleep (the wake
/// path) and back to back (the spin path); and LeNet-5-size convolutions forward and backward give
/// the same bits with either pool, at two threads and at one, run after run: which thread runs an
/// item depends on timing, never the work an item does.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))] // sets the process-wide pool width
public sealed unsafe class WorkerPoolTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly int _width = WorkerPool.Width;
    private readonly bool _steady = WorkerPool.Steady;

    public void Dispose()
    {
        WorkerPool.Width = _width;
        WorkerPool.Steady = _steady;
        _backend.Dispose();
    }

    private struct Tally
    {
        public int* Runs;
        public int MaxWidth;
        public int BadWorker;
    }

    private static void Count(void* state, int item, int worker)
    {
        ref Tally t = ref *(Tally*)state;
        Interlocked.Increment(ref t.Runs[item]);
        if (worker < 0 || worker >= t.MaxWidth)
        {
            Interlocked.Exchange(ref t.BadWorker, 1);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void EveryItemRunsOnceAfterPausesAndBackToBack(bool steady)
    {
        WorkerPool.Steady = steady;
        WorkerPool.Width = 2;
        int* runs = stackalloc int[97];
        for (int loop = 0; loop < 600; loop++)
        {
            int count = 1 + (loop * 37 % 97);
            int maxWidth = 1 + (loop % 3);
            new Span<int>(runs, count).Clear();
            var tally = new Tally { Runs = runs, MaxWidth = maxWidth };
            WorkerPool.For(count, maxWidth, &Count, &tally);
            Assert.Equal(0, tally.BadWorker);
            for (int i = 0; i < count; i++)
            {
                Assert.True(runs[i] == 1, $"loop {loop}: item {i} of {count} ran {runs[i]} times");
            }
            if (loop % 50 == 0)
            {
                Thread.Sleep(3); // past the spin: the worker sleeps and the next loop must wake it
            }
        }
    }

    [Fact]
    public void LeNetConvolutionsGiveTheSameBitsWithEitherPoolAndAtOneThread()
    {
        float[] reference = Lenet(steady: true, threads: 1);
        Assert.Contains(reference, v => v != 0);
        foreach ((bool steady, int threads) in new[] { (true, 2), (false, 2), (true, 2), (false, 1) })
        {
            Assert.Equal(reference, Lenet(steady, threads));
        }
    }

    // LeNet-5's conv2 at batch 64 (the per-sample loops the pool splits): forward, backward data, backward filter.
    private float[] Lenet(bool steady, int threads)
    {
        WorkerPool.Steady = steady;
        WorkerPool.Width = threads;
        var geometry = new ConvolutionGeometry([5, 5], [1, 1], [0, 0], [0, 0], [1, 1]);
        var rng = new Random(23);
        using Tensor x = Upload(new Shape(64, 6, 14, 14), rng);
        using Tensor w = Upload(new Shape(16, 6, 5, 5), rng);
        using Tensor dy = Upload(new Shape(64, 16, 10, 10), rng);
        using Tensor y = _backend.Allocate(new Shape(64, 16, 10, 10));
        using Tensor dx = _backend.Allocate(x.Shape);
        using Tensor dw = _backend.Allocate(w.Shape);
        _backend.ConvolutionForward(geometry, x, w, y);
        _backend.ConvolutionBackwardData(geometry, dy, w, dx);
        _backend.ConvolutionBackwardFilter(geometry, x, dy, dw);
        return [.. y.ToArray(), .. dx.ToArray(), .. dw.ToArray()];
    }

    private Tensor Upload(Shape shape, Random rng)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), t);
        return t;
    }
}
