using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Layers.Standard;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Models.Classic.Tests;

/// <summary>The catalog with the real layers and models, and a helper that summarises a built model.</summary>
internal static class ModelTestEngine
{
    public static ComponentCatalog Catalog { get; } = BuildCatalog();

    public static ModelSummary Summarise(ModelSpec spec, Shape input)
    {
        using IBackend backend = new OpenBlasBackendProvider().Create();
        using Network network = Network.Build(spec, Catalog, backend, input, seed: 1);
        return ModelSummary.Of(network);
    }

    private static ComponentCatalog BuildCatalog()
    {
        var services = new ServiceCollection();
        services.AddEngineCore();
        new OpenBlasPlugin().Register(services);
        new StandardLayersPlugin().Register(services);
        new ClassicModelsPlugin().Register(services);
        return services.BuildServiceProvider().GetRequiredService<ComponentCatalog>();
    }
}
