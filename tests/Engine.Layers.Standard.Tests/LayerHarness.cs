using System.Text.Json.Nodes;
using Engine.Backend.OpenBlas;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard.Tests;

/// <summary>Creates standard layers by name, as a model file would, on a real OpenBLAS backend.</summary>
internal static class LayerHarness
{
    private static readonly IReadOnlyList<ILayerFactory> Factories = BuildFactories();

    public static IBackend CreateBackend() => new OpenBlasBackend();

    /// <summary>Creates layer <paramref name="kind"/> from JSON arguments (e.g. <c>{"units": 3}</c>), checking for unused ones.</summary>
    public static ILayer Create(string kind, string argumentsJson = "{}", string? name = null)
    {
        ILayerFactory factory = Factories.Single(f => f.Name == kind);
        var args = new ComponentArguments($"layer '{name ?? kind}' ({kind})", name ?? kind, JsonNode.Parse(argumentsJson)!.AsObject());
        ILayer layer = factory.Create(args);
        args.ThrowIfUnused();
        return layer;
    }

    /// <summary>Creates and initialises a layer for a per-sample input shape.</summary>
    public static ILayer Build(IBackend backend, string kind, string argumentsJson, Shape sampleShape, DataType dataType = DataType.Float64, ulong seed = 1)
    {
        ILayer layer = Create(kind, argumentsJson);
        layer.Initialize(new LayerContext(backend, sampleShape, seed, dataType));
        return layer;
    }

    public static Tensor Upload(IBackend backend, Shape shape, double[] values, DataType dataType = DataType.Float64) =>
        Engine.Tests.HostTensors.Upload(backend, shape, values, dataType);

    public static double[] Download(Tensor t) => Engine.Tests.HostTensors.Download(t);

    public static double[] Random(int count, ulong seed, double scale = 1) =>
        Enumerable.Range(0, count).Select(i => scale * CounterRandom.Normal(seed, (ulong)i)).ToArray();

    private static List<ILayerFactory> BuildFactories()
    {
        var services = new ServiceCollection();
        new StandardLayersPlugin().Register(services);
        return services.BuildServiceProvider().GetServices<ILayerFactory>().ToList();
    }
}
