using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the standard layer kinds.</summary>
public sealed class StandardLayersPlugin : IEnginePlugin
{
    /// <summary>How layer descriptions list the initialiser arguments.</summary>
    internal const string InitArguments = "init (default, normal, uniform, xavier_uniform, xavier_normal, he_normal, he_uniform, or {\"name\": \"normal\", \"std\": …}), bias_init (default or zeros)";

    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "dense", $"fully connected y = x·Wᵀ + b; arguments: units (required), bias (default true), {InitArguments}",
            a => new DenseLayer(a.InstanceName, a.GetInt("units", min: 1), a.GetBool("bias", true), Initializer.FromArgument(a), Initializer.BiasFromArgument(a))));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "concat", "concatenates its inputs along channels (Inception); name them with \"inputs\"; no arguments",
            a => new ConcatLayer(a.InstanceName)));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "add", "element-wise sum of inputs of equal shape (ResNet skip); name them with \"inputs\"; no arguments",
            a => new AddLayer(a.InstanceName)));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "pad_channels", "zero channels before and after the input's, C×… → (before + C + after)×… (ResNet option-A shortcuts); arguments: before (default 0), after (default 0)",
            a => new ChannelPaddingLayer(a.InstanceName, a.GetInt("before", 0, min: 0), a.GetInt("after", 0, min: 0))));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "flatten", "reshapes N×C×H×W to N×(C·H·W); no arguments",
            a => new FlattenLayer(a.InstanceName)));
        ConvolutionRegistrations.Register(services);
        PoolingRegistrations.Register(services);
        ActivationRegistrations.Register(services);
    }
}
