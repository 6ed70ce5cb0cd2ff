using Engine;
using Microsoft.Extensions.DependencyInjection;

namespace MyLayer;

/// <summary>The plugin's entry point: the host finds this public class and calls Register.</summary>
public sealed class ScaledTanhPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services) =>
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "scaled-tanh", "scaled tanh y = a·tanh(b·x); a (default 1.7159), b (default 0.6667)",
            args => new ScaledTanhLayer(args.InstanceName,
                args.GetDouble("a", 1.7159, min: 0),
                args.GetDouble("b", 2.0 / 3.0, min: 0))));
}
