using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the convolution layer kinds: conv1d, conv2d, conv3d and locally_connected2d.</summary>
internal static class ConvolutionRegistrations
{
    public static void Register(IServiceCollection services)
    {
        for (int rank = 1; rank <= 3; rank++)
        {
            int axes = rank; // a copy: the lambdas below must not share the loop variable
            string kind = $"conv{axes}d";
            services.AddSingleton<ILayerFactory>(new LayerFactory(
                kind,
                $"{axes}-D convolution (cross-correlation) of N×C×{Axes(axes)}; arguments: filters (required), " +
                $"kernel (required; an int or a list of {axes}), stride (1), {WindowArguments.PaddingForms}, " +
                "dilation (1), groups (1; input channels and filters must be divisible by it, groups = channels is depthwise), bias (true), " +
                StandardLayersPlugin.InitArguments,
                a => new ConvolutionLayer(a.InstanceName, kind,
                    a.GetInt("filters", min: 1),
                    WindowArguments.GetInts(a, "kernel", axes, null, 1),
                    WindowArguments.GetInts(a, "stride", axes, 1, 1),
                    WindowArguments.GetPadding(a, axes),
                    WindowArguments.GetInts(a, "dilation", axes, 1, 1),
                    a.GetInt("groups", 1, min: 1),
                    a.GetBool("bias", true),
                    Initializer.FromArgument(a),
                    Initializer.BiasFromArgument(a))));
        }
        services.AddSingleton<ILayerFactory>(new LayerFactory(
            "locally_connected2d",
            "2-D locally connected layer (a convolution with separate filters at every output position) of N×C×H×W; " +
            "arguments: filters (required), kernel (required; an int or a list of 2), stride (1), " +
            $"{WindowArguments.PaddingForms}, bias (true; one per filter and output position), {StandardLayersPlugin.InitArguments}",
            a => new LocallyConnected2dLayer(a.InstanceName,
                a.GetInt("filters", min: 1),
                WindowArguments.GetInts(a, "kernel", 2, null, 1),
                WindowArguments.GetInts(a, "stride", 2, 1, 1),
                WindowArguments.GetPadding(a, 2),
                a.GetBool("bias", true),
                Initializer.FromArgument(a),
                Initializer.BiasFromArgument(a))));
    }

    private static string Axes(int rank) => rank switch
    {
        1 => "L",
        2 => "H×W",
        _ => "D×H×W",
    };
}
