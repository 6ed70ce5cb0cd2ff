namespace Engine.Core.Tests;

public sealed class CountingBackendTests
{
    [Fact]
    public void ForwardsEveryCallAndCountsOnlyTheCallsThatWait()
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new CountingBackend(inner);
        using Tensor x = backend.Allocate(new Shape(2, 3));
        Assert.Same(backend, x.Backend); // what a network computes with it goes through the decorator
        Assert.Same(inner, x.Storage.Owner); // while the inner backend recognises its memory
        backend.CopyFromHost<float>([1, -2, 3, -4, 5, -6], x);
        using Tensor y = backend.Allocate(new Shape(2, 3));
        backend.Unary(UnaryOp.Abs, x, y);
        backend.Synchronize();
        var host = new float[6];
        backend.CopyToHost<float>(y, host);
        Assert.Equal([1f, 2, 3, 4, 5, 6], host);
        Assert.Equal((1, 1, 2, 1), (backend.HostReads, backend.Synchronizations, backend.HostSyncs, backend.Uploads));
        backend.ResetCounts();
        Assert.Equal(0, backend.HostSyncs);
    }
}
