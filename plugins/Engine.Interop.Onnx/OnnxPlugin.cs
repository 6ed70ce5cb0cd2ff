using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Interop.Onnx;

/// <summary>
/// Registers the ONNX model format (<c>.onnx</c>): import into engine models and export of them; and
/// the layer kinds ONNX operators need that the standard layers lack, <c>log_softmax</c> (LogSoftmax),
/// <c>clip</c> (Clip, e.g. ReLU6) and <c>reshape</c> (Reshape keeping the batch axis).
/// </summary>
public sealed class OnnxPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton<IModelFormat>(new OnnxFormat());
        services.AddSingleton<ILayerFactory>(new LayerFactory("log_softmax",
            "log-softmax over the features of each sample, y = x − log Σ eˣ (ONNX LogSoftmax); no arguments",
            a => new LogSoftmaxLayer(a.InstanceName)));
        services.AddSingleton<ILayerFactory>(new LayerFactory("clip",
            "clamps each element to [min, max] (ONNX Clip; ReLU6 is min 0, max 6); arguments: min (default 0), max (default 6; null: no upper bound)",
            a => new ClipLayer(a.InstanceName, a.GetDouble("min", 0), a.Has("max") && a.GetJson("max") is null ? double.PositiveInfinity : a.GetDouble("max", 6))));
        services.AddSingleton<ILayerFactory>(new LayerFactory("reshape",
            "gives each sample another shape of as many elements, as a view (ONNX Reshape keeping the batch axis); arguments: shape (the per-sample dimensions, e.g. [32, 4, 4])",
            a => new ReshapeLayer(a.InstanceName, ReshapeShape(a))));
    }

    private static Shape ReshapeShape(ComponentArguments a)
    {
        JsonNode? node = a.GetJson("shape");
        if (node is not JsonArray { Count: > 0 } list || list.Any(d => d is not JsonValue v || !v.TryGetValue(out int size) || size < 1))
        {
            throw new ConfigurationException($"{a.Owner}: argument 'shape' is {node?.ToJsonString() ?? "missing"}; expected a list of positive integers such as [32, 4, 4]");
        }
        return new Shape(list.Select(d => d!.GetValue<int>()).ToArray());
    }
}
