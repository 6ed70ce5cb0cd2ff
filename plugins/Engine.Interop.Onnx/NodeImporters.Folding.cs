using System.Text.Json.Nodes;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>Constants, element-wise arithmetic with constants (folded into the layer before) and Pad.</summary>
internal static partial class NodeImporters
{
    private static ConstantValue ConstantNode(NodeContext n)
    {
        AttributeProto attribute = n.Node.Attribute.FirstOrDefault() ?? throw n.Error("no value attribute");
        return attribute.Name switch
        {
            "value" => OnnxTensors.Decode(attribute.T ?? throw n.Error("attribute 'value' holds no tensor"), n.Describe()),
            "value_float" => new ConstantValue([], [attribute.F], [(long)attribute.F]),
            "value_floats" => new ConstantValue([attribute.Floats.Count], attribute.Floats.ToArray(), attribute.Floats.Select(f => (long)f).ToArray()),
            "value_int" => new ConstantValue([], [attribute.I], [attribute.I]),
            "value_ints" => new ConstantValue([attribute.Ints.Count], attribute.Ints.Select(i => (float)i).ToArray(), attribute.Ints.ToArray()),
            _ => throw n.Error($"a constant given as '{attribute.Name}' is not read (only numeric tensors)"),
        };
    }

    // PyTorch casts Clip's bounds; a cast of a constant is the constant, of float values to float nothing.
    private static void Cast(NodeContext n)
    {
        long to = n.Int("to", 0);
        if (n.IsConstant(0))
        {
            ConstantValue c = n.Constant(0);
            bool integer = to is (long)TensorProto.Types.DataType.Int64 or (long)TensorProto.Types.DataType.Int32;
            n.Define(new ConstantImport(integer ? c with { Floats = c.Ints.Select(v => (float)v).ToArray() } : c));
            return;
        }
        if (to != (long)TensorProto.Types.DataType.Float)
        {
            throw n.Error($"a cast of computed values to type {(TensorProto.Types.DataType)to}; the engine computes in float32");
        }
        n.Define(n.Activation(0));
    }

    // Only on constants (PyTorch unsqueezes PReLU's slope to C×1×1): the values stay, the dims change.
    private static void Squeeze(NodeContext n)
    {
        if (!n.IsConstant(0))
        {
            throw n.Error($"{n.OpType} of computed values has no engine layer (only of constants)");
        }
        ConstantValue c = n.Constant(0);
        long[] axes = n.Graph.Opset < 13 ? (n.Ints("axes") ?? []).Select(a => (long)a).ToArray() : n.OptionalConstant(1)?.Ints ?? [];
        var dims = c.Dims.ToList();
        // Axes index the output of Unsqueeze and the input of Squeeze; each once, within the rank.
        int rank = n.OpType == "Unsqueeze" ? dims.Count + axes.Length : dims.Count;
        long[] resolved = axes.Select(a => a < 0 ? a + rank : a).ToArray();
        if (resolved.Any(a => a < 0 || a >= rank) || resolved.Distinct().Count() != resolved.Length)
        {
            throw n.Error($"axes {OnnxTensors.Dims(axes)} are not distinct axes of a rank-{rank} tensor");
        }
        if (n.OpType == "Unsqueeze")
        {
            foreach (long axis in resolved.Order())
            {
                dims.Insert((int)axis, 1);
            }
        }
        else
        {
            if (resolved.FirstOrDefault(a => dims[(int)a] != 1, -1) is long axis and >= 0)
            {
                throw n.Error($"axis {axis} of {OnnxTensors.Dims(c.Dims)} has size {dims[(int)axis]}, not 1");
            }
            var drop = axes.Length == 0 ? Enumerable.Range(0, dims.Count).Where(i => dims[i] == 1).ToHashSet() : resolved.Select(a => (int)a).ToHashSet();
            dims = dims.Where((_, i) => !drop.Contains(i)).ToList();
        }
        n.Define(new ConstantImport(c with { Dims = dims.ToArray() }));
    }

    // Two or more layer outputs of one shape are an add layer; a layer output plus a constant folds.
    private static void AddLike(NodeContext n)
    {
        if (n.OpType == "Add" && n.InputCount == 2 && (n.IsConstant(0) || n.IsConstant(1)))
        {
            int constant = n.IsConstant(1) ? 1 : 0;
            Fold(n, 1 - constant, n.Constant(constant), multiply: false, v => v);
            return;
        }
        var inputs = Enumerable.Range(0, n.InputCount).Select(i => n.Activation(i)).ToList();
        if (inputs.Count == 1)
        {
            n.Define(inputs[0]);
            return;
        }
        if (inputs.Any(i => !i.Shape.SequenceEqual(inputs[0].Shape)))
        {
            throw n.Error($"inputs of shapes {string.Join(", ", inputs.Select(i => OnnxImporter.Format(i.Shape)))}: the engine's add takes equal shapes (no broadcasting)");
        }
        n.AddLayer("add", [], inputs[0].Shape, -1, inputs.Select(i => i.Layer).ToArray());
    }

    private static void Arithmetic(NodeContext n)
    {
        bool commutes = n.OpType == "Mul";
        if (n.IsConstant(1))
        {
            ConstantValue c = n.Constant(1);
            switch (n.OpType)
            {
                case "Sub": Fold(n, 0, c, multiply: false, v => -v); return;
                case "Mul": Fold(n, 0, c, multiply: true, v => v); return;
                default: Fold(n, 0, c, multiply: true, v => 1 / v); return;
            }
        }
        if (commutes && n.IsConstant(0))
        {
            Fold(n, 1, n.Constant(0), multiply: true, v => v);
            return;
        }
        throw n.Error($"{n.OpType} of two computed values has no engine layer (only {n.OpType} by a constant, folded into the Conv, Gemm/MatMul or BatchNormalization before it)");
    }

    /// <summary>
    /// Folds "x·c" or "x + c" (c one value or one per channel) into the layer that produced x — a
    /// convolution, dense layer or batch norm whose output nothing else reads — by scaling its
    /// weights and bias or shifting its bias. The engine has no layer for constant arithmetic.
    /// </summary>
    private static void Fold(NodeContext n, int input, ConstantValue c, bool multiply, Func<float, float> transform)
    {
        LayerImport x = n.Activation(input);
        string valueName = n.Node.Input[input];
        string kind = x.Layer == LayerSpec.ModelInput ? "the graph input" : n.Graph.Kind(x.Layer);
        if (kind is not ("dense" or "conv1d" or "conv2d" or "conv3d" or "batch_norm") || n.Graph.Uses(valueName) != 1 || n.Graph.OutputName(x.Layer) != valueName)
        {
            throw n.Error($"{n.OpType} by a constant folds only into a Conv, Gemm/MatMul or BatchNormalization whose output nothing else reads; here it follows {(x.Layer == LayerSpec.ModelInput ? kind : $"layer '{x.Layer}' ({kind})")}");
        }
        int channels = x.Shape[0];
        long[] dims = [.. Enumerable.Repeat(1L, Math.Max(0, x.Shape.Length + 1 - c.Dims.Length)), .. c.Dims];
        bool perChannel = dims.Length == x.Shape.Length + 1 && dims[0] == 1 && dims[1] == c.ElementCount && dims.Skip(2).All(d => d == 1);
        if (c.ElementCount != 1 && !(perChannel && c.ElementCount == channels))
        {
            throw n.Error($"constant {OnnxTensors.Dims(c.Dims)} is neither one value nor one per channel of {OnnxImporter.Format(x.Shape)}");
        }
        float[] values = Enumerable.Range(0, channels).Select(i => transform(c.Floats[c.ElementCount == 1 ? 0 : i])).ToArray();
        StateDictionary state = n.Graph.State;
        string weight = kind == "batch_norm" ? "gamma" : "weight", bias = kind == "batch_norm" ? "beta" : "bias";
        string biasKey = $"params/{x.Layer}.{bias}";
        if (multiply)
        {
            float[] w = (float[])state[$"params/{x.Layer}.{weight}"].Values;
            int per = w.Length / channels;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] *= values[i / per];
            }
            if (state.Contains(biasKey))
            {
                float[] b = (float[])state[biasKey].Values;
                for (int i = 0; i < channels; i++)
                {
                    b[i] *= values[i];
                }
            }
        }
        else
        {
            if (!state.Contains(biasKey))
            {
                state.Set(biasKey, new StateEntry(new Shape(channels), new float[channels]));
                n.Graph.Arguments(x.Layer)["bias"] = true;
            }
            float[] b = (float[])state[biasKey].Values;
            for (int i = 0; i < channels; i++)
            {
                b[i] += values[i];
            }
        }
        n.Define(x);
        n.Graph.SetOutputName(x.Layer, n.Node.Output[0]);
    }

    private static void Pad(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        int rank = x.Shape.Length + 1;
        string mode = n.String("mode", "constant");
        int[] pads = n.Graph.Opset < 11 ? n.Ints("pads") ?? throw n.Error("pads is missing") : n.Constant(1).Ints.Select(p => checked((int)p)).ToArray();
        float value = n.Graph.Opset < 11 ? n.Float("value", 0f) : n.OptionalScalar(2) ?? 0f;
        if (n.HasInput(3))
        {
            throw n.Error("the axes input is not supported; give pads for every axis");
        }
        if (mode != "constant" || value != 0)
        {
            throw n.Error($"mode '{mode}' with value {value}: only zero (constant) padding maps to the engine");
        }
        if (pads.Length != 2 * rank || pads.Any(p => p < 0) || pads[0] != 0 || pads[rank] != 0)
        {
            throw n.Error($"pads {OnnxImporter.Format(pads)}: expected {2 * rank} non-negative values, none on the batch axis");
        }
        int[] before = pads[2..rank], after = pads[(rank + 2)..];
        bool spatial = before.Any(p => p != 0) || after.Any(p => p != 0);
        bool channel = pads[1] != 0 || pads[rank + 1] != 0;
        if (channel && spatial)
        {
            throw n.Error("padding channels and spatial axes at once has no engine layer");
        }
        if (channel)
        {
            int[] shape = [x.Shape[0] + pads[1] + pads[rank + 1], .. x.Shape[1..]];
            n.AddLayer("pad_channels", new JsonObject { ["before"] = pads[1], ["after"] = pads[rank + 1] }, shape, -1, x.Layer);
        }
        else if (spatial)
        {
            int[] shape = [x.Shape[0], .. x.Shape[1..].Select((s, i) => s + before[i] + after[i])];
            n.Define(new LayerImport(x.Layer, shape, before, after, n.Node.Name.Length > 0 ? n.Node.Name : n.Node.Output[0]));
        }
        else
        {
            n.Define(x);
        }
    }
}
