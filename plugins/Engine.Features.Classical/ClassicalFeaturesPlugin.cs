using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Features.Classical;

/// <summary>Registers the hand-crafted feature layers: <c>fixed_conv2d</c> and <c>hog</c>.</summary>
public sealed class ClassicalFeaturesPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "fixed_conv2d",
            "hand-made filters, frozen (not parameters), each applied to every input channel (C → C·K channels); arguments: " +
            $"kernels (required: a name or a list of {FixedKernels.Names}), padding ('same' (default) or 'valid')",
            a => new FixedConvolutionLayer(a.InstanceName, Kernels(a), Same(a))));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "hog",
            "histogram of oriented gradients per image, as skimage.feature.hog (unsigned orientations, hard votes), N×C×H×W (C 1, or 3 made grey) → N×F, computed on the host; backward differentiates it with bins held fixed; " +
            "arguments: orientations (9), cell (8 pixels), block (2 cells), block_norm (l2-hys (default), l2, l1, l1-sqrt)",
            a => new HogLayer(a.InstanceName, new HogOptions(
                a.GetInt("orientations", 9, min: 1, max: 180),
                a.GetInt("cell", 8, min: 1),
                a.GetInt("block", 2, min: 1),
                HogOptions.ParseNorm(a.GetString("block_norm", "l2-hys"), a.Owner)))));
    }

    private static FixedKernel[] Kernels(ComponentArguments a)
    {
        JsonNode node = a.GetJson("kernels") ?? throw new ConfigurationException($"{a.Owner}: argument 'kernels' is required; {FixedKernels.Names}");
        // A single entry is wrapped in a plain array: a JsonArray would try to adopt a node that has a parent.
        IEnumerable<JsonNode?> entries = node is JsonArray array ? array : new[] { node };
        return entries.SelectMany(e => FixedKernels.Parse(e, a.Owner)).ToArray();
    }

    private static bool Same(ComponentArguments a) => a.GetString("padding", "same").ToLowerInvariant() switch
    {
        "same" => true,
        "valid" => false,
        string other => throw new ConfigurationException($"{a.Owner}: padding must be 'same' or 'valid', got '{other}'"),
    };
}
