using Microsoft.Extensions.DependencyInjection;

namespace Engine.Core;

/// <summary>Registers what the core itself provides: the catalogue, the built-in losses and optimisers.</summary>
public static class CoreServices
{
    /// <summary>Adds <see cref="ComponentCatalog"/>, <c>softmax-cross-entropy</c> and <c>sgd</c>.</summary>
    public static IServiceCollection AddEngineCore(this IServiceCollection services)
    {
        services.AddSingleton<ComponentCatalog>();
        services.AddSingleton<ILossFactory>(new LossFactory(
            "softmax-cross-entropy",
            "softmax + cross entropy, fused and numerically stable; mean over the batch",
            _ => new SoftmaxCrossEntropyLoss()));
        services.AddSingleton<IOptimizerFactory>(new OptimizerFactory(
            "sgd",
            "mini-batch SGD θ ← θ − lr·g; arguments: lr (default 0.01)",
            args => new SgdOptimizer(args.GetDouble("lr", 0.01, min: 0))));
        return services;
    }
}
