using Engine;
using Microsoft.Extensions.DependencyInjection;

namespace SwishSample;

/// <summary>The plugin's entry point: the host finds this class and calls Register.</summary>
public sealed class SwishPlugin : IEnginePlugin
{
    public void Register(IServiceCollection services) =>
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "swish", "swish / SiLU activation y = x·sigmoid(x) (sample third-party plugin); no arguments",
            args => new SwishLayer(args.InstanceName)));
}
