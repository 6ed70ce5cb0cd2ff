using Microsoft.Extensions.DependencyInjection;

namespace Engine.Interop.Onnx;

/// <summary>Registers the ONNX model format (<c>.onnx</c>): import into engine models and export of them.</summary>
public sealed class OnnxPlugin : IEnginePlugin
{
    /// <inheritdoc/>
    public void Register(IServiceCollection services) => services.AddSingleton<IModelFormat>(new OnnxFormat());
}
