using Microsoft.Extensions.DependencyInjection;

namespace Engine.Backend.Cudnn.Tests;

/// <summary>The shim and the provider on whatever machine runs the tests (CI has no GPU).</summary>
public sealed class ShimTests
{
    [Fact]
    public void ProbeSaysWhatIsMissingOrWhichDeviceIsOpen()
    {
        var provider = new CudnnBackendProvider();
        BackendProbe probe = provider.Probe();
        if (probe.IsAvailable)
        {
            Assert.Contains("compute capability", probe.Detail);
            using var backend = new CudnnBackend();
            Assert.Equal(DeviceKind.Gpu, backend.Device);
            return;
        }
        // One line: which library (or the device) is missing and the loader's own words.
        Assert.StartsWith("no GPU: ", probe.Detail);
        Assert.Matches(@"(not found \(looked for lib\S+|no CUDA device|CUDA driver: cuInit failed)", probe.Detail);
        Assert.DoesNotContain('\n', probe.Detail);
        var e = Assert.Throws<BackendException>(() => provider.Create());
        Assert.Equal($"the cudnn backend is unavailable: {probe.Detail}", e.Message);
    }

    [Fact]
    public void EveryKernelFamilyIsEmbeddedInTheShim()
    {
        string[] modules = ShimLibrary.KernelModules().Split(';');
        Assert.Equal(
            ["channels", "elementwise", "layout", "locally_connected", "memory", "metrics", "normalization", "optimizer", "pooling", "precision", "random"],
            modules.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ThePluginRegistersTheCudnnGpuProvider()
    {
        var services = new ServiceCollection();
        new CudnnPlugin().Register(services);
        using ServiceProvider built = services.BuildServiceProvider();
        IBackendProvider provider = Assert.Single(built.GetServices<IBackendProvider>());
        Assert.Equal("cudnn", provider.Name);
        Assert.Equal(DeviceKind.Gpu, provider.Device);
    }
}
