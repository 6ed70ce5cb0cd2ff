using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Engine.Backend.OpenBlas.Tests;

public sealed partial class LibraryTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;

    [GeneratedRegex(@"^OpenBLAS .+, core \S+, \d+ threads?( \(note: .*\))?$")]
    private static partial Regex LoadedDetail();

    [Fact]
    public void LoadsAndDescribesTheLibrary()
    {
        Assert.True(OpenBlasLibrary.TryLoad(out string detail), detail);
        Assert.Matches(LoadedDetail(), detail);
        Assert.True(OpenBlasLibrary.TryLoad(out string again));
        Assert.Equal(detail, again);
    }

    [Fact]
    public void BackendDescriptionNamesCoreAndThreads()
    {
        using var backend = new OpenBlasBackend();
        Assert.Equal("openblas", backend.Name);
        Assert.Equal(DeviceKind.Cpu, backend.Device);
        string core = OpenBlasLibrary.CoreName;
        Assert.NotEqual("", core);
        Assert.Contains($"core {core}", backend.Description);
        Assert.Matches(@"\d+ threads?", backend.Description);
        Assert.InRange(backend.BlasThreadCount, 1, 4096);
    }

    [Fact]
    public void SupportsEveryOpForBothFloatTypes()
    {
        using var backend = new OpenBlasBackend();
        foreach (BackendOp op in Enum.GetValues<BackendOp>())
        {
            Assert.True(backend.Supports(op, DataType.Float32), $"{op} Float32");
            Assert.True(backend.Supports(op, DataType.Float64), $"{op} Float64");
            Assert.False(backend.Supports(op, (DataType)42));
        }
        Assert.False(backend.Supports((BackendOp)99, DataType.Float32));
    }

    [Fact]
    public void CandidateNamesFitThePlatform()
    {
        IReadOnlyList<string> names = OpenBlasLibrary.CandidateNames();
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(["libopenblas.so.0", "libopenblas.so"], names.TakeLast(2));
        }
        string? explicitPath = Environment.GetEnvironmentVariable(OpenBlasLibrary.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            Assert.Equal(explicitPath.Trim(), names[0]);
        }
    }

    [Fact]
    public void FailureMessageNamesLibraryErrorAndInstallHint()
    {
        const string missing = "libengine-no-such-openblas.so.9";
        string loaderError = "";
        try
        {
            NativeLibrary.Load(missing);
        }
        catch (DllNotFoundException ex)
        {
            loaderError = OpenBlasLibrary.LoaderError(ex);
        }
        Assert.NotEqual("", loaderError);

        bool loaded = OpenBlasLibrary.TryLoadFirst([missing], NativeLibrary.Load, out nint handle, out _, out List<string> failures);
        string message = OpenBlasLibrary.FailureMessage(failures);

        Assert.False(loaded);
        Assert.Equal(0, handle);
        _output.WriteLine(message);
        Assert.StartsWith("could not load OpenBLAS: tried ", message);
        Assert.Contains($"{missing} ({loaderError})", message);
        Assert.DoesNotContain("\n", message);
        Assert.Contains(OpenBlasLibrary.EnvironmentVariable, message);
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains("cannot open shared object file", message);
            Assert.Contains("on Debian/Ubuntu install it with: sudo apt-get install libopenblas-dev", message);
        }
    }

    [Fact]
    public void FailureMessageListsEveryAttemptInOrder()
    {
        static nint Refuse(string name) =>
            throw new DllNotFoundException($"Unable to load shared library '{name}' or one of its dependencies. Generic advice:\n{name}: no such file");

        bool loaded = OpenBlasLibrary.TryLoadFirst(["liba.so", "libb.so"], Refuse, out _, out _, out List<string> failures);
        string message = OpenBlasLibrary.FailureMessage(failures);

        Assert.False(loaded);
        Assert.Contains("tried liba.so (liba.so: no such file), libb.so (libb.so: no such file); ", message);
        Assert.DoesNotContain("Generic advice", message);
    }

    [Fact]
    public void LibraryWithoutCblasIsSkipped()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        bool loaded = OpenBlasLibrary.TryLoadFirst(["libc.so.6"], NativeLibrary.Load, out _, out _, out List<string> failures);
        Assert.False(loaded);
        Assert.StartsWith("libc.so.6 (it loaded but exports no cblas_sgemm", Assert.Single(failures));
    }

    [Fact]
    public void SystemLibraryIsFoundByName()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }
        bool loaded = OpenBlasLibrary.TryLoadFirst(
            ["libengine-no-such-openblas.so", "libopenblas.so.0"], NativeLibrary.Load, out nint handle, out string name, out List<string> failures);
        Assert.True(loaded, OpenBlasLibrary.FailureMessage(failures));
        Assert.NotEqual(0, handle);
        Assert.Equal("libopenblas.so.0", name);
        Assert.StartsWith("libengine-no-such-openblas.so (", Assert.Single(failures));
    }

    [Fact]
    public void ProviderProbesAndCreates()
    {
        var provider = new OpenBlasBackendProvider();
        Assert.Equal("openblas", provider.Name);
        Assert.Equal(DeviceKind.Cpu, provider.Device);
        BackendProbe probe = provider.Probe();
        Assert.True(probe.IsAvailable, probe.Detail);
        Assert.Matches(LoadedDetail(), probe.Detail);
        using IBackend backend = provider.Create();
        Assert.IsType<OpenBlasBackend>(backend);
        Assert.StartsWith(probe.Detail, backend.Description);
    }

    [Fact]
    public void PluginRegistersTheProviderAsSingleton()
    {
        var services = new ServiceCollection();
        new OpenBlasPlugin().Register(services);
        ServiceDescriptor descriptor = Assert.Single(services);
        Assert.Equal(typeof(IBackendProvider), descriptor.ServiceType);
        Assert.Equal(typeof(OpenBlasBackendProvider), descriptor.ImplementationType);
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
    }
}
