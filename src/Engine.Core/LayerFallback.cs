namespace Engine.Core;

/// <summary>
/// Where <see cref="Network.Build"/> places a layer whose ops the main backend does not support:
/// on <paramref name="Backend"/>, with its parameters there and the activations and gradients
/// copied each way through the host. <paramref name="Warn"/> receives one line per such layer
/// naming the layer, the unsupported op with its shape, and both backends.
/// </summary>
/// <param name="Backend">The backend that runs the layers the main one cannot (the caller owns and disposes it).</param>
/// <param name="Warn">Receives each fallback warning (no prefix); null to stay silent.</param>
public sealed record LayerFallback(IBackend Backend, Action<string>? Warn = null);
