using Engine.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Backend.Partial;

/// <summary>
/// Registers the <c>partial</c> backend: the <c>openblas</c> backend, found among the other plugins'
/// providers when it is created, without pooling and LRN (a test backend for the fallback).
/// </summary>
public sealed class PartialBackendPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton<IBackendProvider>(provider => new PartialBackendProvider(provider));
        services.AddSingleton<IBackendProvider>(provider => new FaultyBackendProvider(provider));
    }

    // Looks the inner provider up only when asked: resolving the providers while being resolved would recurse.
    private sealed class PartialBackendProvider(IServiceProvider services) : IBackendProvider
    {
        public string Name => "partial";

        public DeviceKind Device => DeviceKind.Cpu;

        public BackendProbe Probe() => Inner() is { } inner ? inner.Probe() : new BackendProbe(false, "no 'openblas' backend plugin is loaded");

        public IBackend Create() =>
            new PartialBackend((Inner() ?? throw new BackendException("backend 'partial' wraps 'openblas', which is not loaded")).Create(),
                new HashSet<BackendOp> { BackendOp.Pooling, BackendOp.Lrn });

        private IBackendProvider? Inner() => services.GetServices<IBackendProvider>().FirstOrDefault(p => p.Name == "openblas");
    }

    // The 'faulty' backend: OpenBLAS that claims max pooling and then throws (see FaultyBackend).
    private sealed class FaultyBackendProvider(IServiceProvider services) : IBackendProvider
    {
        public string Name => "faulty";

        // Declared a GPU so that '--fallback cpu' (the first CPU backend other than --device) never picks it.
        public DeviceKind Device => DeviceKind.Gpu;

        public BackendProbe Probe() => Inner() is { } inner ? inner.Probe() : new BackendProbe(false, "no 'openblas' backend plugin is loaded");

        public IBackend Create() =>
            new FaultyBackend((Inner() ?? throw new BackendException("backend 'faulty' wraps 'openblas', which is not loaded")).Create());

        private IBackendProvider? Inner() => services.GetServices<IBackendProvider>().FirstOrDefault(p => p.Name == "openblas");
    }
}
