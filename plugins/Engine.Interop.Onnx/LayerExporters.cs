using System.Text.Json.Nodes;
using Onnx;
using static Engine.Interop.Onnx.GraphBuilder;

namespace Engine.Interop.Onnx;

/// <summary>
/// One function per layer kind: appends the ONNX nodes that compute the layer and returns its output
/// with the per-sample shape the engine infers. Windows are written with explicit pads, so 'same'
/// padding and ceil mode mean exactly what they mean in the engine.
/// </summary>
internal static class LayerExporters
{
    public static ExportValue Export(LayerExport x) => x.Kind switch
    {
        "conv1d" => Convolution(x, 1),
        "conv2d" => Convolution(x, 2),
        "conv3d" => Convolution(x, 3),
        "dense" => Dense(x),
        "max_pool1d" or "max_pool2d" or "max_pool3d" => Pooling(x, "MaxPool", x.Kind[^2] - '0'),
        "avg_pool1d" or "avg_pool2d" or "avg_pool3d" => Pooling(x, "AveragePool", x.Kind[^2] - '0'),
        "adaptive_avg_pool2d" => AdaptiveAveragePooling(x),
        "global_avg_pool" => GlobalAveragePooling(x),
        "batch_norm" => BatchNorm(x),
        "lrn" => Lrn(x),
        "dropout" => Dropout(x),
        "flatten" => Flatten(x, x.Input, x.Name),
        "add" => Add(x),
        "concat" => Concat(x),
        "pad_channels" => PadChannels(x),
        "relu" => Same(x, "Relu"),
        "sigmoid" => Same(x, "Sigmoid"),
        "tanh" => Same(x, "Tanh"),
        "leaky_relu" => Same(x, "LeakyRelu", Float("alpha", x.Arguments.Double("slope", 0.01))),
        "elu" => Same(x, "Elu", Float("alpha", x.Arguments.Double("alpha", 1.0))),
        "prelu" => PRelu(x),
        "softmax" => Softmax(x, "Softmax"),
        "log_softmax" => Softmax(x, "LogSoftmax"),
        "clip" => Clip(x),
        "reshape" => Reshape(x),
        "maxout" => Maxout(x),
        _ => throw new ConfigurationException($"{x.Owner}: ONNX export has no mapping for layer kind '{x.Kind}'"),
    };

    private static ExportValue Same(LayerExport x, string op, params AttributeProto[] attributes) =>
        new(x.Graph.Node(op, x.Name, [x.Input.Name], attributes), x.Input.Shape);

    private static ExportValue Convolution(LayerExport x, int rank)
    {
        ExportValue input = x.Input;
        RequireRank(x, input, rank);
        (float[] _, int[] w) = x.Parameter("weight");
        int[] kernel = w[2..];
        int[] stride = x.Arguments.Ints("stride", rank, Ones(rank));
        int[] dilation = x.Arguments.Ints("dilation", rank, Ones(rank));
        int groups = x.Arguments.Int("groups", 1);
        (int[] before, int[] after) = x.Arguments.Padding(input.Shape[1..], kernel, stride, dilation);
        var inputs = new List<string> { input.Name, x.Initializer("weight") };
        if (x.HasParameter("bias"))
        {
            inputs.Add(x.Initializer("bias"));
        }
        string output = x.Graph.Node("Conv", x.Name, inputs,
            Ints("kernel_shape", kernel), Ints("strides", stride), Ints("pads", [.. before, .. after]), Ints("dilations", dilation), Int("group", groups));
        var shape = new int[rank + 1];
        shape[0] = w[0];
        for (int i = 0; i < rank; i++)
        {
            shape[i + 1] = ConvolutionGeometry.OutputSize(input.Shape[i + 1], kernel[i], stride[i], before[i], after[i], dilation[i]);
        }
        return new ExportValue(output, shape);
    }

    private static ExportValue Dense(LayerExport x)
    {
        ExportValue input = x.Input.Shape.Length == 1 ? x.Input : Flatten(x, x.Input, $"{x.Name}/flatten");
        (float[] _, int[] w) = x.Parameter("weight");
        var inputs = new List<string> { input.Name, x.Initializer("weight") };
        if (x.HasParameter("bias"))
        {
            inputs.Add(x.Initializer("bias"));
        }
        return new ExportValue(x.Graph.Node("Gemm", x.Name, inputs, Int("transB", 1)), [w[0]]);
    }

    private static ExportValue Pooling(LayerExport x, string op, int rank)
    {
        ExportValue input = x.Input;
        RequireRank(x, input, rank);
        int[] pool = x.Arguments.Ints("pool", rank, null);
        int[] stride = x.Arguments.Ints("stride", rank, pool);
        (int[] before, int[] after) = x.Arguments.Padding(input.Shape[1..], pool, stride, Ones(rank));
        bool ceil = x.Arguments.Bool("ceil_mode", false);
        var attributes = new List<AttributeProto> { Ints("kernel_shape", pool), Ints("strides", stride), Ints("pads", [.. before, .. after]) };
        if (ceil)
        {
            attributes.Add(Int("ceil_mode", 1));
        }
        if (op == "AveragePool" && x.Arguments.Bool("count_include_pad", false))
        {
            attributes.Add(Int("count_include_pad", 1));
        }
        var shape = new int[rank + 1];
        shape[0] = input.Shape[0];
        for (int i = 0; i < rank; i++)
        {
            shape[i + 1] = PoolOutputSize(input.Shape[i + 1], pool[i], stride[i], before[i], after[i], ceil);
        }
        return new ExportValue(x.Graph.Node(op, x.Name, [input.Name], [.. attributes]), shape);
    }

    /// <summary>The engine's (and PyTorch's) pooled size: in ceil mode rounded up, less one when the last window would start past the input and its left padding.</summary>
    internal static int PoolOutputSize(int input, int pool, int stride, int before, int after, bool ceil)
    {
        int floor = ConvolutionGeometry.OutputSize(input, pool, stride, before, after, 1);
        if (!ceil || (input + before + after - pool) % stride == 0)
        {
            return floor;
        }
        int output = floor + 1;
        return (output - 1) * stride >= input + before ? output - 1 : output;
    }

    // ONNX has no adaptive pooling; where the output size divides the input it is a plain average
    // pool (what PyTorch's exporter writes too), and anything else is refused rather than approximated.
    private static ExportValue AdaptiveAveragePooling(LayerExport x)
    {
        ExportValue input = x.Input;
        RequireRank(x, input, 2);
        int[] size = x.Arguments.Ints("output_size", 2, null);
        int h = input.Shape[1], w = input.Shape[2];
        if (h % size[0] != 0 || w % size[1] != 0)
        {
            throw new ConfigurationException($"{x.Owner}: adaptive average pooling from {h}×{w} to {size[0]}×{size[1]} has no ONNX operator (the output size must divide the input size; export with an input size that gives a multiple)");
        }
        int[] window = [h / size[0], w / size[1]];
        string output = x.Graph.Node("AveragePool", x.Name, [input.Name], Ints("kernel_shape", window), Ints("strides", window));
        return new ExportValue(output, [input.Shape[0], size[0], size[1]]);
    }

    private static ExportValue GlobalAveragePooling(LayerExport x)
    {
        string pooled = x.Graph.Node("GlobalAveragePool", $"{x.Name}/pool", [x.Input.Name]);
        return new ExportValue(x.Graph.Node("Flatten", x.Name, [pooled], Int("axis", 1)), [x.Input.Shape[0]]);
    }

    private static ExportValue BatchNorm(LayerExport x)
    {
        string[] inputs = [x.Input.Name, x.Initializer("gamma"), x.Initializer("beta"), x.Initializer("running_mean", state: true), x.Initializer("running_var", state: true)];
        // ONNX's momentum weighs the old running value; the engine's weighs the batch (PyTorch's convention).
        return new ExportValue(x.Graph.Node("BatchNormalization", x.Name, inputs,
            Float("epsilon", x.Arguments.Double("epsilon", 1e-5)), Float("momentum", 1 - x.Arguments.Double("momentum", 0.1))), x.Input.Shape);
    }

    private static ExportValue Lrn(LayerExport x) => Same(x, "LRN",
        Int("size", x.Arguments.Int("size", 5)), Float("alpha", x.Arguments.Double("alpha", 1e-4)),
        Float("beta", x.Arguments.Double("beta", 0.75)), Float("bias", x.Arguments.Double("k", 2.0)));

    private static ExportValue Dropout(LayerExport x)
    {
        string ratio = x.Graph.Initializer($"{x.Name}.ratio", [(float)x.Arguments.Double("rate", 0.5)]);
        return new ExportValue(x.Graph.Node("Dropout", x.Name, [x.Input.Name, ratio]), x.Input.Shape);
    }

    private static ExportValue Flatten(LayerExport x, ExportValue input, string name) =>
        new(x.Graph.Node("Flatten", name, [input.Name], Int("axis", 1)), [input.Shape.Aggregate(1, (a, b) => a * b)]);

    private static ExportValue Add(LayerExport x)
    {
        if (x.Inputs.Any(i => !i.Shape.SequenceEqual(x.Inputs[0].Shape)))
        {
            throw new ConfigurationException($"{x.Owner}: inputs of different shapes ({string.Join(", ", x.Inputs.Select(i => OnnxExporter.Format(i.Shape)))})");
        }
        return new ExportValue(x.Graph.Node(x.Inputs.Length == 2 ? "Add" : "Sum", x.Name, x.Inputs.Select(i => i.Name)), x.Inputs[0].Shape);
    }

    private static ExportValue Concat(LayerExport x)
    {
        int[] shape = (int[])x.Inputs[0].Shape.Clone();
        shape[0] = x.Inputs.Sum(i => i.Shape[0]);
        return new ExportValue(x.Graph.Node("Concat", x.Name, x.Inputs.Select(i => i.Name), Int("axis", 1)), shape);
    }

    private static ExportValue PadChannels(LayerExport x)
    {
        int before = x.Arguments.Int("before", 0), after = x.Arguments.Int("after", 0);
        int rank = x.Input.Shape.Length + 1;
        long[] pads = new long[2 * rank];
        pads[1] = before;
        pads[rank + 1] = after;
        string padsName = x.Graph.Int64Initializer($"{x.Name}.pads", pads);
        int[] shape = (int[])x.Input.Shape.Clone();
        shape[0] += before + after;
        return new ExportValue(x.Graph.Node("Pad", x.Name, [x.Input.Name, padsName]), shape);
    }

    // The slope broadcasts against N×C×…: one per channel becomes C×1×…×1.
    private static ExportValue PRelu(LayerExport x)
    {
        (float[] slope, int[] _) = x.Parameter("weight");
        int[] dims = slope.Length == 1 ? [1] : [slope.Length, .. Enumerable.Repeat(1, x.Input.Shape.Length - 1)];
        return new ExportValue(x.Graph.Node("PRelu", x.Name, [x.Input.Name, x.Initializer("weight", dims)]), x.Input.Shape);
    }

    // The engine normalises over all features of a sample; ONNX (opset 13) over one axis, so a
    // sample of several dimensions is flattened around the softmax.
    private static ExportValue Softmax(LayerExport x, string op)
    {
        if (x.Input.Shape.Length == 1)
        {
            return Same(x, op, Int("axis", 1));
        }
        ExportValue flat = Flatten(x, x.Input, $"{x.Name}/flatten");
        string normalised = x.Graph.Node(op, $"{x.Name}/{op.ToLowerInvariant()}", [flat.Name], Int("axis", 1));
        string shape = x.Graph.Int64Initializer($"{x.Name}.shape", [-1, .. x.Input.Shape.Select(d => (long)d)]);
        return new ExportValue(x.Graph.Node("Reshape", x.Name, [normalised, shape]), x.Input.Shape);
    }

    // "max": null is a lower bound only; ONNX's Clip then has no max input.
    private static ExportValue Clip(LayerExport x)
    {
        string min = x.Graph.Initializer($"{x.Name}.min", [(float)x.Arguments.Double("min", 0)]);
        if (x.Arguments.IsNull("max"))
        {
            return new ExportValue(x.Graph.Node("Clip", x.Name, [x.Input.Name, min]), x.Input.Shape);
        }
        string max = x.Graph.Initializer($"{x.Name}.max", [(float)x.Arguments.Double("max", 6)]);
        return new ExportValue(x.Graph.Node("Clip", x.Name, [x.Input.Name, min, max]), x.Input.Shape);
    }

    private static ExportValue Reshape(LayerExport x)
    {
        JsonArray dims = x.Arguments.Json("shape") as JsonArray ?? throw new ConfigurationException($"{x.Owner}: argument 'shape' is missing");
        int[] shape = dims.Select(d => d!.GetValue<int>()).ToArray();
        string target = x.Graph.Int64Initializer($"{x.Name}.shape", [0, .. shape.Select(d => (long)d)]);
        return new ExportValue(x.Graph.Node("Reshape", x.Name, [x.Input.Name, target]), shape);
    }

    // Maxout groups consecutive channels: N×C×… → N×(C/k)×k×… → max over the k axis.
    private static ExportValue Maxout(LayerExport x)
    {
        int pieces = x.Arguments.Int("pieces", 1);
        int[] shape = x.Input.Shape;
        if (pieces < 1 || shape[0] % pieces != 0)
        {
            throw new ConfigurationException($"{x.Owner}: {pieces} pieces do not divide {shape[0]} channels");
        }
        string dims = x.Graph.Int64Initializer($"{x.Name}.shape", [-1, shape[0] / pieces, pieces, .. shape[1..].Select(d => (long)d)]);
        string grouped = x.Graph.Node("Reshape", $"{x.Name}/reshape", [x.Input.Name, dims]);
        int[] output = [shape[0] / pieces, .. shape[1..]];
        return new ExportValue(x.Graph.Node("ReduceMax", x.Name, [grouped], Ints("axes", [2]), Int("keepdims", 0)), output);
    }

    private static void RequireRank(LayerExport x, ExportValue input, int rank)
    {
        if (input.Shape.Length != rank + 1)
        {
            throw new ConfigurationException($"{x.Owner}: input of shape {OnnxExporter.Format(input.Shape)} is not C×{rank} spatial axes");
        }
    }

    private static int[] Ones(int rank) => Enumerable.Repeat(1, rank).ToArray();
}
