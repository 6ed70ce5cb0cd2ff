namespace Engine.Backend.Cudnn.Tests;

/// <summary>NCCL through the real shim on a machine without it (CI): one message naming what was looked for.</summary>
public sealed class NcclLibraryTests
{
    [Fact]
    public void WithoutLibncclLoadingSaysWhatWasLookedForAndWhereToFindIt()
    {
        _ = ShimLibrary.TryInitialize(out _); // binds the shim (a GPU is not needed for NCCL's load)
        string? loaded = null;
        try
        {
            loaded = NcclLibrary.Load();
        }
        catch (BackendException e)
        {
            Assert.StartsWith("--distributed nccl needs NCCL: NCCL 2 not found (looked for libnccl.so.2, libnccl.so): ", e.Message);
            Assert.EndsWith("(PyTorch's CUDA wheels carry it in nvidia/nccl/lib: add that folder to ENGINE_CUDA_PATH)", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            // Not remembered: a later call tries again (and fails again here).
            Assert.Throws<BackendException>(() => NcclLibrary.Load());
            return;
        }
        Assert.StartsWith("NCCL 2.", loaded); // a machine with NCCL
    }
}
