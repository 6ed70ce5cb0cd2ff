using System.Text.Json.Nodes;
using Padding = Engine.ModelBuilder.Padding;

namespace Engine.Layers.Standard;

/// <summary>
/// Typed <see cref="ModelBuilder"/> helpers for the layer kinds this plugin registers. Each writes
/// only the arguments that differ from the layer's defaults, so a built spec reads like a
/// hand-written JSON model file. They only append <see cref="LayerSpec"/>s (SDK types), so a model
/// plugin may carry its own copy of this assembly without any type crossing load contexts.
/// <code>
/// using Engine.Layers.Standard;
///
/// ModelSpec lenet = new ModelBuilder("lenet5")
///     .Conv2d(6, 5, padding: 2, name: "conv1").Relu().MaxPool2d(2)
///     .Flatten().Dense(10, name: "classifier").Build();
/// </code>
/// </summary>
public static class StandardLayers
{
    /// <summary>A 2-D convolution with square kernel, stride and dilation.</summary>
    public static ModelBuilder Conv2d(this ModelBuilder builder, int filters, int kernel, int stride = 1, Padding padding = default, int dilation = 1, int groups = 1, bool bias = true, string? name = null, params string[] inputs)
    {
        var args = new JsonObject { ["filters"] = filters, ["kernel"] = kernel };
        Optional(args, "stride", stride, 1);
        SetPadding(args, padding);
        Optional(args, "dilation", dilation, 1);
        Optional(args, "groups", groups, 1);
        if (!bias)
        {
            args["bias"] = false;
        }
        return builder.Add("conv2d", args, name, inputs);
    }

    /// <summary>A fully connected layer.</summary>
    public static ModelBuilder Dense(this ModelBuilder builder, int units, bool bias = true, string? name = null, params string[] inputs)
    {
        var args = new JsonObject { ["units"] = units };
        if (!bias)
        {
            args["bias"] = false;
        }
        return builder.Add("dense", args, name, inputs);
    }

    /// <summary>ReLU.</summary>
    public static ModelBuilder Relu(this ModelBuilder builder, string? name = null, params string[] inputs) =>
        builder.Add("relu", null, name, inputs);

    /// <summary>Any element-wise activation without arguments (<c>sigmoid</c>, <c>tanh</c>, <c>softmax</c>, …).</summary>
    public static ModelBuilder Activation(this ModelBuilder builder, string kind, string? name = null, params string[] inputs) =>
        builder.Add(kind, null, name, inputs);

    /// <summary>2-D max pooling; the stride defaults to the window; <paramref name="ceilMode"/> rounds the output size up (PyTorch's ceil_mode).</summary>
    public static ModelBuilder MaxPool2d(this ModelBuilder builder, int pool, int? stride = null, Padding padding = default, bool ceilMode = false, string? name = null, params string[] inputs) =>
        builder.Add("max_pool2d", PoolArguments(pool, stride, padding, ceilMode), name, inputs);

    /// <summary>
    /// 2-D average pooling; the stride defaults to the window; <paramref name="ceilMode"/> rounds the
    /// output size up; <paramref name="countIncludePad"/> divides by the whole window, padding included.
    /// </summary>
    public static ModelBuilder AvgPool2d(this ModelBuilder builder, int pool, int? stride = null, Padding padding = default, bool ceilMode = false, bool countIncludePad = false, string? name = null, params string[] inputs)
    {
        JsonObject args = PoolArguments(pool, stride, padding, ceilMode);
        if (countIncludePad)
        {
            args["count_include_pad"] = true;
        }
        return builder.Add("avg_pool2d", args, name, inputs);
    }

    /// <summary>Adaptive average pooling of C×H×W to C×<paramref name="height"/>×<paramref name="width"/> (width defaults to height).</summary>
    public static ModelBuilder AdaptiveAvgPool2d(this ModelBuilder builder, int height, int? width = null, string? name = null, params string[] inputs) =>
        builder.Add("adaptive_avg_pool2d", new JsonObject
        {
            ["output_size"] = width is int w && w != height ? new JsonArray(height, w) : height,
        }, name, inputs);

    /// <summary>Local response normalisation across channels; null keeps the layer's defaults (size 5, α 1e-4, β 0.75, k 2).</summary>
    public static ModelBuilder Lrn(this ModelBuilder builder, int? size = null, double? alpha = null, double? beta = null, double? k = null, string? name = null, params string[] inputs)
    {
        var args = new JsonObject();
        if (size is int n)
        {
            args["size"] = n;
        }
        if (alpha is double a)
        {
            args["alpha"] = a;
        }
        if (beta is double b)
        {
            args["beta"] = b;
        }
        if (k is double kk)
        {
            args["k"] = kk;
        }
        return builder.Add("lrn", args.Count == 0 ? null : args, name, inputs);
    }

    /// <summary>Global average pooling, N×C×spatial → N×C.</summary>
    public static ModelBuilder GlobalAvgPool(this ModelBuilder builder, string? name = null, params string[] inputs) =>
        builder.Add("global_avg_pool", null, name, inputs);

    /// <summary>Batch normalisation per channel; null keeps the layer's default momentum (0.1) and epsilon (1e-5).</summary>
    public static ModelBuilder BatchNorm(this ModelBuilder builder, double? momentum = null, double? epsilon = null, string? name = null, params string[] inputs)
    {
        var args = new JsonObject();
        if (momentum is double m)
        {
            args["momentum"] = m;
        }
        if (epsilon is double e)
        {
            args["epsilon"] = e;
        }
        return builder.Add("batch_norm", args.Count == 0 ? null : args, name, inputs);
    }

    /// <summary>Inverted dropout with drop probability <paramref name="rate"/>.</summary>
    public static ModelBuilder Dropout(this ModelBuilder builder, double rate = 0.5, string? name = null, params string[] inputs) =>
        builder.Add("dropout", new JsonObject { ["rate"] = rate }, name, inputs);

    /// <summary>Reshapes N×C×H×W to N×(C·H·W).</summary>
    public static ModelBuilder Flatten(this ModelBuilder builder, string? name = null, params string[] inputs) =>
        builder.Add("flatten", null, name, inputs);

    /// <summary>Zero channels before and after the input's (a ResNet option-A shortcut).</summary>
    public static ModelBuilder PadChannels(this ModelBuilder builder, int before, int after, string? name = null, params string[] inputs)
    {
        var args = new JsonObject();
        Optional(args, "before", before, 0);
        Optional(args, "after", after, 0);
        return builder.Add("pad_channels", args.Count == 0 ? null : args, name, inputs);
    }

    /// <summary>Element-wise sum of two or more earlier layers (a ResNet skip connection).</summary>
    public static ModelBuilder Sum(this ModelBuilder builder, string? name, params string[] inputs) =>
        Merge(builder, "add", name, inputs);

    /// <summary>Concatenation along channels of two or more earlier layers (Inception branches).</summary>
    public static ModelBuilder Concat(this ModelBuilder builder, string? name, params string[] inputs) =>
        Merge(builder, "concat", name, inputs);

    private static ModelBuilder Merge(ModelBuilder builder, string kind, string? name, string[] inputs) =>
        inputs.Length < 2
            ? throw new ConfigurationException($"model '{builder.Name}' layer #{builder.Count + 1} ({kind}): needs at least two inputs, got {inputs.Length}")
            : builder.Add(kind, null, name, inputs);

    private static JsonObject PoolArguments(int pool, int? stride, Padding padding, bool ceilMode)
    {
        var args = new JsonObject { ["pool"] = pool };
        if (stride is int s && s != pool)
        {
            args["stride"] = s;
        }
        SetPadding(args, padding);
        if (ceilMode)
        {
            args["ceil_mode"] = true;
        }
        return args;
    }

    private static void SetPadding(JsonObject args, Padding padding)
    {
        if (padding.IsSame)
        {
            args["padding"] = "same";
        }
        else
        {
            Optional(args, "padding", padding.Size, 0);
        }
    }

    private static void Optional(JsonObject args, string key, int value, int defaultValue)
    {
        if (value != defaultValue)
        {
            args[key] = value;
        }
    }
}
