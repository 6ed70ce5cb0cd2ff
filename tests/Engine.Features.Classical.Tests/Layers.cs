using System.Text.Json.Nodes;
using Engine.Backend.OpenBlas;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Features.Classical.Tests;

/// <summary>Creates the plugin's layers by name, as a model file would, on a real OpenBLAS backend.</summary>
internal static class Layers
{
    private static readonly ILayerFactory[] Factories = Register();

    public static IBackend CreateBackend() => new OpenBlasBackend();

    public static ILayer Build(IBackend backend, string kind, string argumentsJson, Shape sampleShape, DataType dataType = DataType.Float32)
    {
        var args = new ComponentArguments($"layer '{kind}' ({kind})", kind, JsonNode.Parse(argumentsJson)!.AsObject());
        ILayer layer = Factories.Single(f => f.Name == kind).Create(args);
        args.ThrowIfUnused();
        layer.Initialize(new LayerContext(backend, sampleShape, 1, dataType));
        return layer;
    }

    /// <summary>One inference forward pass of float32 <paramref name="input"/> (batch first), the output on the host.</summary>
    public static float[] Forward(IBackend backend, ILayer layer, Shape batchShape, float[] input)
    {
        using Tensor x = backend.Allocate(batchShape);
        backend.CopyFromHost<float>(input, x);
        Tensor y = layer.Forward(x, training: false);
        var result = new float[y.ElementCount];
        backend.CopyToHost<float>(y, result);
        return result;
    }

    private static ILayerFactory[] Register()
    {
        var services = new ServiceCollection();
        new ClassicalFeaturesPlugin().Register(services);
        using ServiceProvider provider = services.BuildServiceProvider();
        return provider.GetServices<ILayerFactory>().ToArray();
    }
}
