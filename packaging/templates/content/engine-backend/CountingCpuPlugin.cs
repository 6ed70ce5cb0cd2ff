using Engine;
using Microsoft.Extensions.DependencyInjection;

namespace MyBackend;

/// <summary>
/// The plugin's entry point: registers the <c>counting-cpu</c> backend, which wraps the
/// <c>openblas</c> backend of the standard plugins. Check it with
/// <c>engine check-backend counting-cpu --plugins DIR</c>; train on it with <c>--device counting-cpu</c>.
/// </summary>
public sealed class CountingCpuPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services) =>
        services.AddSingleton<IBackendProvider>(provider => new CountingCpuProvider(provider));

    // Looks the inner provider up only when asked: resolving the providers while being resolved would recurse.
    private sealed class CountingCpuProvider(IServiceProvider services) : IBackendProvider
    {
        private const string InnerName = "openblas";

        public string Name => "counting-cpu";

        public DeviceKind Device => DeviceKind.Cpu;

        public BackendProbe Probe() => Inner() is { } inner
            ? inner.Probe()
            : new BackendProbe(false, $"no '{InnerName}' backend plugin is loaded");

        public IBackend Create() => new CountingCpuBackend(
            (Inner() ?? throw new BackendException($"backend '{Name}' runs on '{InnerName}', which is not loaded")).Create());

        private IBackendProvider? Inner() =>
            services.GetServices<IBackendProvider>().FirstOrDefault(p => p.Name == InnerName);
    }
}
