using System.Globalization;
using System.Text.Json.Nodes;

namespace Engine.Interop.Onnx;

/// <summary>
/// One function per ONNX operator: maps a node to an engine layer (weights in OIHW as ONNX has them),
/// to an alias of its input (Identity, Dropout-free reshapes), to a constant, or folds it into the
/// layer before it (Add/Sub/Mul/Div by constants into a Conv, Gemm/MatMul or BatchNormalization
/// bias and scale; a zero Pad into the next Conv's padding). Anything else is an error naming the node.
/// </summary>
internal static partial class NodeImporters
{
    public static void Import(NodeContext n)
    {
        if (n.Node.Domain is not ("" or "ai.onnx"))
        {
            throw n.Error("no engine layer for this operator (only the default ONNX domain is imported)");
        }
        switch (n.OpType)
        {
            case "Conv": Conv(n); break;
            case "Gemm": Gemm(n); break;
            case "MatMul": MatMul(n); break;
            case "MaxPool": Pool(n, "max"); break;
            case "AveragePool": Pool(n, "avg"); break;
            case "GlobalAveragePool": GlobalPool(n, "avg"); break;
            case "GlobalMaxPool": GlobalPool(n, "max"); break;
            case "BatchNormalization": BatchNorm(n); break;
            case "LRN": Lrn(n); break;
            case "Relu": Same(n, "relu", []); break;
            case "Sigmoid": Same(n, "sigmoid", []); break;
            case "Tanh": Same(n, "tanh", []); break;
            case "LeakyRelu": Same(n, "leaky_relu", new() { ["slope"] = n.Float("alpha", 0.01f) }); break;
            case "Elu": Same(n, "elu", new() { ["alpha"] = n.Float("alpha", 1f) }); break;
            case "PRelu": PRelu(n); break;
            case "Softmax": Softmax(n, "softmax"); break;
            case "LogSoftmax": Softmax(n, "log_softmax"); break;
            case "Clip": Clip(n); break;
            case "Dropout": Dropout(n); break;
            case "Identity": n.Define(n.Graph.Value(n.Node.Input[0])); break;
            case "Constant": n.Define(new ConstantImport(ConstantNode(n))); break;
            case "Cast": Cast(n); break;
            case "Unsqueeze" or "Squeeze": Squeeze(n); break;
            case "Flatten": Flatten(n); break;
            case "Reshape": Reshape(n); break;
            case "Transpose": Transpose(n); break;
            case "Concat": Concat(n); break;
            case "Add" or "Sum": AddLike(n); break;
            case "Sub" or "Mul" or "Div": Arithmetic(n); break;
            case "Pad": Pad(n); break;
            default: throw n.Error("no engine layer for this operator");
        }
    }

    private static void Same(NodeContext n, string kind, JsonObject arguments)
    {
        LayerImport x = n.Activation(0);
        n.AddLayer(kind, arguments, x.Shape, -1, x.Layer);
    }

    private static void Conv(NodeContext n)
    {
        LayerImport x = n.Activation(0, allowPad: true);
        ConstantValue w = n.Constant(1);
        int rank = w.Dims.Length - 2;
        if (rank is < 1 or > 3 || x.Shape.Length != rank + 1)
        {
            throw n.Error($"weight {OnnxTensors.Dims(w.Dims)} and input {OnnxImporter.Format(x.Shape)} are not a 1-, 2- or 3-D convolution");
        }
        int[] kernel = w.Dims[2..].Select(d => (int)d).ToArray();
        if (n.Ints("kernel_shape") is int[] ks && !ks.SequenceEqual(kernel))
        {
            throw n.Error($"kernel_shape {OnnxImporter.Format(ks)} differs from the weight's {OnnxImporter.Format(kernel)}");
        }
        int groups = n.Int("group", 1);
        int filters = (int)w.Dims[0];
        if (groups < 1 || x.Shape[0] != w.Dims[1] * groups || filters % groups != 0)
        {
            throw n.Error($"{x.Shape[0]} input channels do not match weight {OnnxTensors.Dims(w.Dims)} with group {groups}");
        }
        int[] stride = n.Ints("strides", rank, Ones(rank));
        int[] dilation = n.Ints("dilations", rank, Ones(rank));
        int[] spatial = x.Shape[1..];
        if (x.PadBefore is not null)
        {
            // The Pad node's zeros become the convolution's own padding (same result, no extra layer).
            spatial = spatial.Select((s, i) => s - x.PadBefore[i] - x.PadAfter![i]).ToArray();
        }
        (int[] before, int[] after) = Padding(n, spatial, kernel, stride, dilation);
        if (x.PadBefore is not null)
        {
            before = before.Select((b, i) => b + x.PadBefore[i]).ToArray();
            after = after.Select((a, i) => a + x.PadAfter![i]).ToArray();
        }
        var shape = new int[rank + 1];
        shape[0] = filters;
        for (int i = 0; i < rank; i++)
        {
            shape[i + 1] = WindowOutput(n, spatial[i], kernel[i], stride[i], before[i], after[i], dilation[i], false);
        }
        ConstantValue? bias = n.OptionalConstant(2);
        if (bias is not null && bias.ElementCount != filters)
        {
            throw n.Error($"bias of {bias.ElementCount} values for {filters} filters");
        }
        var arguments = new JsonObject
        {
            ["filters"] = filters,
            ["kernel"] = Json(kernel),
            ["stride"] = Json(stride),
            ["dilation"] = Json(dilation),
            ["groups"] = groups,
            ["padding"] = Pairs(before, after),
            ["bias"] = bias is not null,
        };
        string layer = n.AddLayer($"conv{rank}d", arguments, shape, 1, x.Layer);
        n.SetParameter(layer, "weight", w.Dims.Select(d => (int)d).ToArray(), w.Floats);
        if (bias is not null)
        {
            n.SetParameter(layer, "bias", [filters], bias.Floats);
        }
    }

    private static void Gemm(NodeContext n)
    {
        LayerImport x = FlatInput(n);
        ConstantValue b = n.Constant(1);
        if (n.Int("transA", 0) != 0)
        {
            throw n.Error("transA = 1 (a transposed input) has no engine layer");
        }
        if (x.Shape.Length != 1 || b.Dims.Length != 2)
        {
            throw n.Error($"input {OnnxImporter.Format(x.Shape)} per sample and weight {OnnxTensors.Dims(b.Dims)}: expected flat samples and a 2-D weight");
        }
        bool transB = n.Int("transB", 0) != 0;
        float alpha = n.Float("alpha", 1f), beta = n.Float("beta", 1f);
        int units = (int)(transB ? b.Dims[0] : b.Dims[1]), fanIn = (int)(transB ? b.Dims[1] : b.Dims[0]);
        if (fanIn != x.Shape[0])
        {
            throw n.Error($"weight {OnnxTensors.Dims(b.Dims)} (transB {(transB ? 1 : 0)}) does not take {x.Shape[0]} inputs");
        }
        // The engine's dense weight is out×in, as Gemm's B with transB = 1; alpha and beta fold into the values.
        float[] weight = transB ? b.Floats.Select(v => v * alpha).ToArray() : Transpose(b.Floats, fanIn, units, alpha);
        ConstantValue? c = n.OptionalConstant(2);
        float[]? bias = null;
        if (c is not null)
        {
            if (c.ElementCount != 1 && c.ElementCount != units)
            {
                throw n.Error($"C of {OnnxTensors.Dims(c.Dims)} does not broadcast to {units} outputs per sample");
            }
            bias = Enumerable.Range(0, units).Select(i => c.Floats[c.ElementCount == 1 ? 0 : i] * beta).ToArray();
        }
        Dense(n, x, weight, units, fanIn, bias, 1);
    }

    private static void MatMul(NodeContext n)
    {
        LayerImport x = FlatInput(n);
        ConstantValue b = n.Constant(1);
        if (x.Shape.Length != 1 || b.Dims.Length != 2 || b.Dims[0] != x.Shape[0])
        {
            throw n.Error($"input {OnnxImporter.Format(x.Shape)} per sample times {OnnxTensors.Dims(b.Dims)}: only flat samples times a 2-D constant map to a dense layer");
        }
        int fanIn = (int)b.Dims[0], units = (int)b.Dims[1];
        Dense(n, x, Transpose(b.Floats, fanIn, units, 1f), units, fanIn, null, 1);
    }

    // A flattened transpose (Keras's NHWC flatten) reaches the dense layer as the engine's NCHW
    // flatten: the weight's columns are put in that order, which makes the transpose free.
    private static void Dense(NodeContext n, LayerImport x, float[] weight, int units, int fanIn, float[]? bias, int weightInput)
    {
        if (x.Gather is not null)
        {
            weight = GatherColumns(weight, units, x.Gather);
        }
        string layer = n.AddLayer("dense", new JsonObject { ["units"] = units, ["bias"] = bias is not null }, [units], weightInput, x.Layer);
        n.SetParameter(layer, "weight", [units, fanIn], weight);
        if (bias is not null)
        {
            n.SetParameter(layer, "bias", [units], bias);
        }
    }

    private static void Pool(NodeContext n, string mode)
    {
        // PyTorch writes AvgPool2d(count_include_pad=True, padding=p) as a zero Pad and an unpadded AveragePool.
        LayerImport padded = n.Activation(0, allowPad: mode == "avg");
        LayerImport x = padded.PadBefore is null ? padded : padded with { Shape = [padded.Shape[0], .. padded.Shape[1..].Select((s, i) => s - padded.PadBefore[i] - padded.PadAfter![i])] };
        int rank = x.Shape.Length - 1;
        int[] kernel = n.Ints("kernel_shape") ?? throw n.Error("kernel_shape is missing");
        if (rank is < 1 or > 3 || kernel.Length != rank)
        {
            throw n.Error($"a {kernel.Length}-D window over input {OnnxImporter.Format(x.Shape)}: expected 1 to 3 spatial axes");
        }
        int[] stride = n.Ints("strides", rank, Ones(rank));
        if (n.Ints("dilations", rank, Ones(rank)).Any(d => d != 1))
        {
            throw n.Error("dilated pooling has no engine layer");
        }
        (int[] before, int[] after) = Padding(n, x.Shape[1..], kernel, stride, Ones(rank));
        bool ceil = n.Int("ceil_mode", 0) != 0;
        bool countPad = mode == "avg" && n.Int("count_include_pad", 0) != 0;
        if (padded.PadBefore is not null)
        {
            if (!countPad && (before.Any(p => p != 0) || after.Any(p => p != 0)))
            {
                throw n.Error("zeros from a Pad node and the pool's own uncounted padding cannot be told apart by one engine layer");
            }
            before = before.Select((b, i) => b + padded.PadBefore[i]).ToArray();
            after = after.Select((a, i) => a + padded.PadAfter![i]).ToArray();
            countPad = true; // the Pad node's zeros are real elements of each window
        }
        var shape = new int[rank + 1];
        shape[0] = x.Shape[0];
        bool ceilMatters = false;
        for (int i = 0; i < rank; i++)
        {
            shape[i + 1] = WindowOutput(n, x.Shape[i + 1], kernel[i], stride[i], before[i], after[i], 1, ceil);
            ceilMatters |= shape[i + 1] != WindowOutput(n, x.Shape[i + 1], kernel[i], stride[i], before[i], after[i], 1, false);
        }
        if (ceilMatters && countPad)
        {
            throw n.Error("ceil_mode together with count_include_pad (when ceil mode adds a window) has no engine layer");
        }
        var arguments = new JsonObject { ["pool"] = Json(kernel), ["stride"] = Json(stride), ["padding"] = Pairs(before, after) };
        if (ceilMatters)
        {
            arguments["ceil_mode"] = true;
        }
        if (countPad)
        {
            arguments["count_include_pad"] = true;
        }
        n.AddLayer($"{mode}_pool{rank}d", arguments, shape, -1, x.Layer);
    }

    // A global pool is a window over the whole (fixed) spatial extent; the output keeps ONNX's 1×…×1 axes.
    private static void GlobalPool(NodeContext n, string mode)
    {
        LayerImport x = n.Activation(0);
        int rank = x.Shape.Length - 1;
        if (rank is < 1 or > 3)
        {
            throw n.Error($"input {OnnxImporter.Format(x.Shape)} per sample: expected 1 to 3 spatial axes");
        }
        int[] window = x.Shape[1..];
        n.AddLayer($"{mode}_pool{rank}d", new JsonObject { ["pool"] = Json(window), ["stride"] = Json(window) }, [x.Shape[0], .. Ones(rank)], -1, x.Layer);
    }

    private static void BatchNorm(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        ConstantValue scale = n.Constant(1), bias = n.Constant(2), mean = n.Constant(3), variance = n.Constant(4);
        int channels = x.Shape[0];
        if (new[] { scale, bias, mean, variance }.Any(c => c.ElementCount != channels))
        {
            throw n.Error($"scale, B, mean and var must have {channels} values (one per channel)");
        }
        if (n.Int("training_mode", 0) != 0)
        {
            throw n.Error("training_mode = 1 is not an inference graph");
        }
        // ONNX's momentum weighs the old running value; the engine's (PyTorch's) the batch.
        var arguments = new JsonObject { ["epsilon"] = n.Float("epsilon", 1e-5f), ["momentum"] = Math.Round(1 - n.Float("momentum", 0.9f), 6) };
        string layer = n.AddLayer("batch_norm", arguments, x.Shape, 1, x.Layer);
        n.SetParameter(layer, "gamma", [channels], scale.Floats);
        n.SetParameter(layer, "beta", [channels], bias.Floats);
        n.Graph.State.Set($"layers/{layer}/running_mean", new StateEntry(new Shape(channels), mean.Floats));
        n.Graph.State.Set($"layers/{layer}/running_var", new StateEntry(new Shape(channels), variance.Floats));
    }

    private static void Lrn(NodeContext n)
    {
        long size = n.Int("size", 0);
        if (size < 1)
        {
            throw n.Error("size is missing or not positive");
        }
        Same(n, "lrn", new JsonObject { ["size"] = size, ["alpha"] = n.Float("alpha", 1e-4f), ["beta"] = n.Float("beta", 0.75f), ["k"] = n.Float("bias", 1f) });
    }

    private static void PRelu(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        ConstantValue slope = n.Constant(1);
        bool shared = slope.ElementCount == 1;
        if (!shared && slope.ElementCount != x.Shape[0])
        {
            throw n.Error($"slope {OnnxTensors.Dims(slope.Dims)} is neither one value nor one per channel ({x.Shape[0]})");
        }
        string layer = n.AddLayer("prelu", new JsonObject { ["shared"] = shared }, x.Shape, 1, x.Layer);
        n.SetParameter(layer, "weight", [(int)slope.ElementCount], slope.Floats);
    }

    // The engine normalises over all features of a sample. Before opset 13 ONNX flattens from the
    // axis (default 1), which is the same; from 13 it normalises one axis (default −1), the same
    // when every other axis of a sample has size 1 (N×F, or N×C×1×1 after a global pool).
    private static void Softmax(NodeContext n, string kind)
    {
        LayerImport x = n.Activation(0);
        int rank = x.Shape.Length + 1;
        long axis = n.Int("axis", n.Graph.Opset < 13 ? 1 : -1);
        axis = axis < 0 ? axis + rank : axis;
        bool wholeSample = n.Graph.Opset < 13 ? axis == 1 : axis >= 1 && axis < rank && x.Shape.Where((_, i) => i + 1 != axis).All(d => d == 1);
        if (!wholeSample)
        {
            throw n.Error($"a softmax over axis {axis} of N×{OnnxImporter.Format(x.Shape)}; the engine's normalises all features of a sample together (axis 1 of N×F, or the one axis of a sample whose other axes have size 1)");
        }
        n.AddLayer(kind, [], x.Shape, -1, x.Layer);
    }

    private static void Clip(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        float min = n.Graph.Opset < 11 ? n.Float("min", float.NegativeInfinity, infinite: true) : n.OptionalScalar(1, infinite: true) ?? float.NegativeInfinity;
        float max = n.Graph.Opset < 11 ? n.Float("max", float.PositiveInfinity, infinite: true) : n.OptionalScalar(2, infinite: true) ?? float.PositiveInfinity;
        if (min == 0 && float.IsPositiveInfinity(max))
        {
            n.AddLayer("relu", [], x.Shape, -1, x.Layer);
            return;
        }
        if (!float.IsFinite(min) || float.IsNaN(max) || min >= max)
        {
            throw n.Error($"Clip to [{min}, {max}]: the engine's clip layer needs a finite lower bound below the upper one (which may be absent)");
        }
        // No upper bound is "max": null (JSON has no infinity).
        n.AddLayer("clip", new JsonObject { ["min"] = min, ["max"] = float.IsPositiveInfinity(max) ? null : max }, x.Shape, -1, x.Layer);
    }

    private static void Dropout(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        float ratio = n.Graph.Opset < 12 ? n.Float("ratio", 0.5f) : n.OptionalScalar(1) ?? 0.5f;
        if (n.IsConstant(2) && n.Constant(2).Ints.Any(v => v != 0))
        {
            throw n.Error("training_mode = true is not an inference graph");
        }
        n.AddLayer("dropout", new JsonObject { ["rate"] = Math.Round(ratio, 6) }, x.Shape, -1, x.Layer);
    }

    private static void Concat(NodeContext n)
    {
        var inputs = Enumerable.Range(0, n.InputCount).Select(i => n.Activation(i)).ToList();
        int rank = inputs[0].Shape.Length + 1;
        long axis = n.Int("axis", 1);
        if ((axis < 0 ? axis + rank : axis) != 1)
        {
            throw n.Error($"concatenation along axis {axis}; the engine's concat joins channels (axis 1)");
        }
        if (inputs.Any(i => !i.Shape[1..].SequenceEqual(inputs[0].Shape[1..])))
        {
            throw n.Error($"inputs of shapes {string.Join(", ", inputs.Select(i => OnnxImporter.Format(i.Shape)))} differ beyond the channel axis");
        }
        int[] shape = [inputs.Sum(i => i.Shape[0]), .. inputs[0].Shape[1..]];
        n.AddLayer("concat", [], shape, -1, inputs.Select(i => i.Layer).ToArray());
    }

    private static (int[] Before, int[] After) Padding(NodeContext n, int[] spatial, int[] kernel, int[] stride, int[] dilation)
    {
        int rank = spatial.Length;
        string autoPad = n.String("auto_pad", "NOTSET");
        int[] before = new int[rank], after = new int[rank];
        switch (autoPad)
        {
            case "NOTSET" or "":
                int[] pads = n.Ints("pads") ?? new int[2 * rank];
                if (pads.Length != 2 * rank || pads.Any(p => p < 0))
                {
                    throw n.Error($"pads {OnnxImporter.Format(pads)} should be {2 * rank} non-negative values");
                }
                return (pads[..rank], pads[rank..]);
            case "VALID":
                return (before, after);
            case "SAME_UPPER" or "SAME_LOWER":
                for (int i = 0; i < rank; i++)
                {
                    int output = (spatial[i] + stride[i] - 1) / stride[i];
                    int total = Math.Max((output - 1) * stride[i] + dilation[i] * (kernel[i] - 1) + 1 - spatial[i], 0);
                    (before[i], after[i]) = autoPad == "SAME_UPPER" ? (total / 2, total - total / 2) : (total - total / 2, total / 2);
                }
                return (before, after);
            default:
                throw n.Error($"auto_pad '{autoPad}' is not NOTSET, VALID, SAME_UPPER or SAME_LOWER");
        }
    }

    private static int WindowOutput(NodeContext n, int input, int kernel, int stride, int before, int after, int dilation, bool ceil)
    {
        if (stride < 1 || dilation < 1 || kernel < 1)
        {
            throw n.Error($"kernel {kernel}, stride {stride} and dilation {dilation} must be positive");
        }
        int span = dilation * (kernel - 1) + 1;
        if (span > input + before + after)
        {
            throw n.Error($"a window of {span} does not fit the padded input {input} + {before} + {after}");
        }
        return dilation == 1 ? LayerExporters.PoolOutputSize(input, kernel, stride, before, after, ceil) : ConvolutionGeometry.OutputSize(input, kernel, stride, before, after, dilation);
    }

    private static float[] Transpose(float[] rowsByColumns, int rows, int columns, float scale)
    {
        var result = new float[rowsByColumns.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                result[c * rows + r] = rowsByColumns[r * columns + c] * scale;
            }
        }
        return result;
    }

    private static int[] Ones(int rank) => Enumerable.Repeat(1, rank).ToArray();

    private static JsonArray Json(IEnumerable<int> values) => new(values.Select(v => (JsonNode)v).ToArray());

    private static JsonArray Pairs(int[] before, int[] after) =>
        new(before.Select((b, i) => (JsonNode)new JsonArray(b, after[i])).ToArray());

    internal static string Text(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
