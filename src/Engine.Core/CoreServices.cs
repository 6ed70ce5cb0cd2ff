using Microsoft.Extensions.DependencyInjection;

namespace Engine.Core;

/// <summary>Registers what the core itself provides: the catalogue, the built-in losses and optimisers.</summary>
public static class CoreServices
{
    /// <summary>
    /// Adds <see cref="ComponentCatalog"/>, the losses <c>softmax-cross-entropy</c>, <c>mse</c> and
    /// <c>multiclass-hinge</c>, and the optimisers of <see cref="OptimizerRegistrations"/>.
    /// </summary>
    public static IServiceCollection AddEngineCore(this IServiceCollection services)
    {
        services.AddSingleton<ComponentCatalog>();
        services.AddSingleton<ILossFactory>(new LossFactory(
            "softmax-cross-entropy",
            "softmax + cross entropy, fused and numerically stable; mean over the batch; arguments: label_smoothing (default 0, in [0, 1]: targets become (1 − ε)·t + ε/K)",
            args => new SoftmaxCrossEntropyLoss(args.GetDouble("label_smoothing", 0, min: 0, max: 1))));
        services.AddSingleton<ILossFactory>(new LossFactory(
            "mse",
            "mean squared error Σ(y − ŷ)²/count over all elements (PyTorch's MSELoss, mean); no arguments",
            _ => new MeanSquaredErrorLoss()));
        services.AddSingleton<ILossFactory>(new LossFactory(
            "multiclass-hinge",
            "multi-class SVM hinge Σ_{j≠y} max(0, s_j − s_y + margin), mean over the batch, one-hot targets; arguments: margin (default 1, ≥ 0)",
            args => new MulticlassHingeLoss(args.GetDouble("margin", 1, min: 0))));
        services.AddEngineOptimizers();
        return services;
    }
}
