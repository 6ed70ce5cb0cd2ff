namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// Code inside a parallel loop's body sees a pool width of 1 (<see cref="WorkerPool.NestedOne"/>, <c>ENGINE_POOL_NESTED</c>,
/// helper <c>r18two</c>), as the loops it starts run on its thread alone; off, the pool's width as before. The inference
/// batch split runs each sub-batch through the network inside such a body: convolutions run there (Winograd's deep
/// layers, whose blocks follow the width, among them) give the bits of the same sub-batch on one thread outside any
/// loop, with the switch on and off.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))] // sets the process-wide pool width
public sealed class WorkerPoolNestedTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly int _width = WorkerPool.Width;
    private readonly bool _nested = WorkerPool.NestedOne;

    public void Dispose()
    {
        WorkerPool.Width = _width;
        WorkerPool.NestedOne = _nested;
        _backend.Dispose();
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void WidthInsideALoopBodyFollowsTheSwitch(bool nestedOne, int expected)
    {
        WorkerPool.Width = 2;
        WorkerPool.NestedOne = nestedOne;
        int[] seen = new int[4];
        _backend.RunParallel(seen.Length, i => seen[i] = WorkerPool.Width);
        Assert.All(seen, w => Assert.Equal(expected, w));
        Assert.Equal(2, WorkerPool.Width); // outside the loop again
        Assert.Equal(2, _backend.WorkerCount);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    public void WidthInsideALoopThatFoundThePoolBusyIsTheSame(bool nestedOne, int expected)
    {
        // Another caller's loop holds the pool (another test class, another thread using the backend), so this
        // loop of two items runs on its calling thread alone. Its bodies must still see the width of a body: the
        // first flake of this kind was a validation loss a float ulp off, from the batch split run serially.
        WorkerPool.Width = 2;
        WorkerPool.NestedOne = nestedOne;
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() => _backend.RunParallel(2, i =>
        {
            entered.Set();
            release.Wait();
        }));
        holder.Start();
        int[] seen = new int[4];
        try
        {
            Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
            _backend.RunParallel(seen.Length, i => seen[i] = WorkerPool.Width);
        }
        finally
        {
            release.Set();
            holder.Join();
        }
        Assert.All(seen, w => Assert.Equal(expected, w));
        Assert.Equal(2, WorkerPool.Width);
    }

    [Theory]
    [InlineData(2, 256, 256, 7)]   // a deep layer on Winograd: one block per worker at width 2
    [InlineData(2, 32, 32, 24)]    // a plain Winograd layer
    [InlineData(3, 16, 24, 12)]    // the default rule's direct kernel
    public void SubBatchesInsideALoopGiveTheBitsOfOneThread(int batch, int channels, int filters, int size)
    {
        var rng = new Random(size * 7 + channels);
        float[][] xs = [Values(rng, batch * channels * size * size), Values(rng, batch * channels * size * size)];
        float[] ws = Values(rng, filters * channels * 9);
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        var halves = new (Tensor X, Tensor W, Tensor Y)[2];
        for (int h = 0; h < 2; h++)
        {
            halves[h] = (_backend.Allocate(new Shape(batch, channels, size, size)), _backend.Allocate(new Shape(filters, channels, 3, 3)),
                _backend.Allocate(new Shape(batch, filters, size, size)));
            _backend.CopyFromHost<float>(xs[h], halves[h].X);
            _backend.CopyFromHost<float>(ws, halves[h].W);
        }
        float[] Read(int h)
        {
            float[] values = new float[halves[h].Y.ElementCount];
            _backend.CopyToHost<float>(halves[h].Y, values);
            return values;
        }
        try
        {
            WorkerPool.Width = 1;
            float[][] reference = new float[2][];
            for (int h = 0; h < 2; h++)
            {
                _backend.ConvolutionForward(geometry, halves[h].X, halves[h].W, halves[h].Y);
                reference[h] = Read(h);
            }
            Assert.Contains(reference[0], v => v != 0);
            WorkerPool.Width = 2;
            foreach (bool nestedOne in new[] { true, false, true })
            {
                WorkerPool.NestedOne = nestedOne;
                for (int call = 0; call < 3; call++) // derive, keep and read the kept filters
                {
                    _backend.RunParallel(2, h => _backend.ConvolutionForward(geometry, halves[h].X, halves[h].W, halves[h].Y));
                    Assert.Equal(reference[0], Read(0));
                    Assert.Equal(reference[1], Read(1));
                }
            }
        }
        finally
        {
            foreach ((Tensor x, Tensor w, Tensor y) in halves)
            {
                x.Dispose();
                w.Dispose();
                y.Dispose();
            }
        }
    }

    private static float[] Values(Random rng, int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
}
