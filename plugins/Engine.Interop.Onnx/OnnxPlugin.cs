using Microsoft.Extensions.DependencyInjection;

namespace Engine.Interop.Onnx;

/// <summary>
/// Registers the ONNX model format (<c>.onnx</c>): import into engine models and export of them; and
/// the two layer kinds ONNX operators need that the standard layers lack, <c>log_softmax</c> (LogSoftmax)
/// and <c>clip</c> (Clip, e.g. ReLU6).
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
            "clamps each element to [min, max] (ONNX Clip; ReLU6 is min 0, max 6); arguments: min (default 0), max (default 6)",
            a => new ClipLayer(a.InstanceName, a.GetDouble("min", 0), a.GetDouble("max", 6))));
    }
}
