using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the activation layer kinds: relu, sigmoid, tanh, leaky_relu, elu, prelu, softmax.</summary>
internal static class ActivationRegistrations
{
    /// <summary>Leaky ReLU's default slope, PyTorch's.</summary>
    private const double DefaultLeakySlope = 0.01;

    public static void Register(IServiceCollection services)
    {
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            services.AddSingleton<ILayerFactory>(ForActivation(activation));
        }
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "prelu",
            $"parametric ReLU max(x, 0) + a·min(x, 0), a learned (initially {PReluLayer.InitialSlope}); arguments: shared (default false: one slope per channel, dimension 1 of the input; true: one slope)",
            a => new PReluLayer(a.InstanceName, a.GetBool("shared", false))));
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "softmax", "softmax over the features of each sample; no arguments",
            a => new SoftmaxLayer(a.InstanceName)));
    }

    private static LayerFactory ForActivation(Activation activation)
    {
        string kind = ActivationLayer.KindOf(activation);
        return activation switch
        {
            // A negative slope is accepted, as PyTorch accepts it: the function is then not monotone,
            // which is unusual but well defined, and its gradient is still dy·slope for x ≤ 0.
            Activation.LeakyRelu => new LayerFactory(
                kind, $"leaky ReLU, x for x > 0 else slope·x; arguments: slope (default {DefaultLeakySlope}, any finite number)",
                a => new ActivationLayer(a.InstanceName, activation, a.GetDouble("slope", DefaultLeakySlope))),
            Activation.Elu => new LayerFactory(
                kind, "ELU, x for x > 0 else alpha·(eˣ − 1); arguments: alpha (default 1, must be > 0)",
                a => new ActivationLayer(a.InstanceName, activation, PositiveAlpha(a))),
            _ => new LayerFactory(
                kind, $"{kind} activation, element-wise; no arguments",
                a => new ActivationLayer(a.InstanceName, activation)),
        };
    }

    // ComponentArguments' ranges are closed; ELU needs α > 0 strictly (α = 0 would be a plain ReLU
    // with a dead negative side, and α < 0 flips the curve), so the bound is checked here.
    private static double PositiveAlpha(ComponentArguments arguments)
    {
        double alpha = arguments.GetDouble("alpha", 1.0);
        return alpha > 0
            ? alpha
            : throw new ConfigurationException($"{arguments.Owner}: argument 'alpha' is {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}; it must be > 0");
    }
}
