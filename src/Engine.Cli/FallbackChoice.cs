using System.CommandLine;
using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// <c>--fallback cpu|none|NAME</c> of <c>train</c>, <c>eval</c> and <c>predict</c>: where a layer
/// runs when the main backend lacks one of its ops. <c>cpu</c> (the default) is the first available
/// CPU backend other than the main one, so with the CPU backend as the main one there is nothing to
/// fall back to and such a layer is refused, as with <c>none</c>. Each layer placed elsewhere is
/// announced once on the error stream as <c>warning: …</c>.
/// </summary>
internal sealed class FallbackChoice : IDisposable
{
    public const string Default = "cpu";

    private readonly IBackend? _backend;

    private FallbackChoice(IBackend? backend, TextWriter warnings)
    {
        _backend = backend;
        // Once per layer for the whole command, though k-fold builds a network per fold.
        var warned = new HashSet<string>(StringComparer.Ordinal);
        Layers = backend is null ? null : new LayerFallback(backend, message =>
        {
            if (warned.Add(message))
            {
                warnings.WriteLine($"warning: {message}");
            }
        });
    }

    /// <summary>What <see cref="Network.Build"/> is given (null: refuse unsupported layers).</summary>
    public LayerFallback? Layers { get; }

    public static Option<string> CreateOption() => new("--fallback")
    {
        Description = "Where a layer runs when the backend lacks one of its ops: cpu (the first CPU backend other than --device; the default), none (refuse), or a backend name",
        DefaultValueFactory = _ => Default,
    };

    /// <summary>Resolves <paramref name="choice"/> for the main backend <paramref name="main"/>; a bad value is a <see cref="ConfigurationException"/> naming it.</summary>
    public static FallbackChoice Resolve(EngineHost host, IBackend main, string choice, TextWriter warnings)
    {
        if (string.Equals(choice, "none", StringComparison.OrdinalIgnoreCase))
        {
            return new FallbackChoice(null, warnings);
        }
        if (string.Equals(choice, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            IBackendProvider? cpu = host.Catalog.Backends.FirstOrDefault(b => b.Device == DeviceKind.Cpu
                && !string.Equals(b.Name, main.Name, StringComparison.OrdinalIgnoreCase) && b.Probe().IsAvailable);
            return new FallbackChoice(cpu is null ? null : host.CreateBackend(cpu.Name), warnings);
        }
        if (string.Equals(choice, main.Name, StringComparison.OrdinalIgnoreCase))
        {
            throw new ConfigurationException($"--fallback {choice}: that is the main backend (--device); give another backend, cpu or none");
        }
        try
        {
            return new FallbackChoice(host.CreateBackend(choice), warnings);
        }
        catch (EngineException e)
        {
            throw new ConfigurationException($"--fallback {choice}: {e.Message}");
        }
    }

    /// <summary>E.g. <c>; 2 layer(s) on openblas (fallback)</c> for the model line; empty when every layer runs on the main backend.</summary>
    public static string Describe(Network network) =>
        network.FallbackLayerCount == 0 ? ""
        : $"; {network.FallbackLayerCount} layer(s) on {string.Join(", ", network.LayerBackends.Where(b => b != network.Backend).Select(b => b.Name).Distinct())} (fallback)";

    public void Dispose() => _backend?.Dispose();
}
