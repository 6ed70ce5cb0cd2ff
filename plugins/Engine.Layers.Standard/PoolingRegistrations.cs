using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers pooling, maxout, dropout, batch normalisation and LRN.</summary>
internal static class PoolingRegistrations
{
    private const string CeilModeHelp = "ceil_mode (default false; true rounds the output size up as PyTorch's ceil_mode does, the last window starting inside the input or its left padding)";

    public static void Register(IServiceCollection services)
    {
        for (int rank = 1; rank <= 3; rank++)
        {
            int axes = rank;
            string max = $"max_pool{rank}d", average = $"avg_pool{rank}d";
            services.AddSingleton<ILayerFactory>(new LayerFactory(max,
                $"max pooling over {rank} spatial axes; arguments: pool (window, integer or {rank} integers; required), "
                + "stride (default = pool), " + WindowArguments.PaddingForms + "; padding never wins; " + CeilModeHelp,
                a => CreatePooling(a, max, PoolingMode.Max, axes)));
            services.AddSingleton<ILayerFactory>(new LayerFactory(average,
                $"average pooling over {rank} spatial axes; arguments: pool (window, integer or {rank} integers; required), "
                + "stride (default = pool), " + WindowArguments.PaddingForms + ", "
                + "count_include_pad (default false, as Keras/TensorFlow: divide by the real elements of each window; true divides by the whole window, PyTorch's default), "
                + CeilModeHelp + " (not with count_include_pad)",
                a => CreatePooling(a, average, PoolingMode.Average, axes)));
        }
        services.AddSingleton<ILayerFactory>(new LayerFactory("adaptive_avg_pool2d",
            "adaptive average pooling to a fixed output size, C×H×W → C×oh×ow, PyTorch's windows (cell i averages rows floor(i·H/oh) … ceil((i+1)·H/oh) − 1, likewise columns); "
            + "arguments: output_size (integer or [oh, ow]; required)",
            a =>
            {
                int[] size = WindowArguments.GetInts(a, "output_size", 2, null, min: 1);
                return new AdaptiveAveragePoolingLayer(a.InstanceName, size[0], size[1]);
            }));
        services.AddSingleton<ILayerFactory>(new LayerFactory("global_avg_pool",
            "global average pooling, N×C×spatial → N×C (mean of each channel); no arguments",
            a => new GlobalAveragePoolingLayer(a.InstanceName)));
        services.AddSingleton<ILayerFactory>(new LayerFactory("maxout",
            "maxout over channels: output channel j = max of input channels j·k … j·k+k−1, C → C/k; arguments: pieces (k, required, must divide C)",
            a => new MaxoutLayer(a.InstanceName, a.GetInt("pieces", min: 1))));
        services.AddSingleton<ILayerFactory>(new LayerFactory("dropout",
            "inverted dropout: in training zeroes each element with probability rate and scales the rest by 1/(1 − rate); identity at inference; arguments: rate (in [0, 1), default 0.5)",
            a => new DropoutLayer(a.InstanceName, DropoutRate(a))));
        services.AddSingleton<ILayerFactory>(new LayerFactory("batch_norm",
            "batch normalisation per channel (dense or convolutional inputs), γ = 1 and β = 0 initially; arguments: momentum (running statistics r ← (1 − m)·r + m·batch, default 0.1), epsilon (default 1e-5)",
            a => new BatchNormLayer(a.InstanceName, a.GetDouble("momentum", 0.1, 0, 1), Positive(a, "epsilon", 1e-5))));
        services.AddSingleton<ILayerFactory>(new LayerFactory("lrn",
            "local response normalisation across channels, b = a / (k + α/n·Σ a²)^β over n channels (AlexNet); arguments: size (n, default 5), alpha (1e-4), beta (0.75), k (2)",
            a => new LrnLayer(a.InstanceName, new LrnParameters(
                a.GetInt("size", 5, min: 1), a.GetDouble("alpha", 1e-4, min: 0), a.GetDouble("beta", 0.75), Positive(a, "k", 2.0)))));
    }

    private static PoolingLayer CreatePooling(ComponentArguments a, string kind, PoolingMode mode, int rank)
    {
        int[] pool = a.GetInts("pool", rank, min: 1);
        int[] stride = a.GetInts("stride", rank, pool, min: 1);
        WindowPadding padding = WindowArguments.GetPadding(a, rank);
        bool countIncludePad = mode == PoolingMode.Average && a.GetBool("count_include_pad", false);
        bool ceilMode = a.GetBool("ceil_mode", false);
        return new PoolingLayer(a.InstanceName, kind, mode, pool, stride, padding, countIncludePad, ceilMode);
    }

    private static double DropoutRate(ComponentArguments a)
    {
        double rate = a.GetDouble("rate", 0.5, min: 0);
        return rate < 1 ? rate : throw new ConfigurationException($"{a.Owner}: argument 'rate' is {rate}; it must be in [0, 1)");
    }

    private static double Positive(ComponentArguments a, string name, double defaultValue)
    {
        double value = a.GetDouble(name, defaultValue);
        return value > 0 ? value : throw new ConfigurationException($"{a.Owner}: argument '{name}' is {value}; it must be > 0");
    }
}
