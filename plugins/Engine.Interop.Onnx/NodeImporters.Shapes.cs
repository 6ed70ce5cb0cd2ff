using System.Text.Json.Nodes;

namespace Engine.Interop.Onnx;

/// <summary>
/// Operators that only rearrange values: Flatten and Reshape (a view, as long as the batch axis
/// stays), and Transpose, which the engine has no layer for and so folds away: into the model's
/// input layout when it is the graph's first step, or into the Gemm/MatMul weight after a flatten.
/// </summary>
internal static partial class NodeImporters
{
    private static void Flatten(NodeContext n)
    {
        LayerImport x = n.Activation(0, allowTransposed: true);
        long axis = n.Int("axis", 1);
        if (axis != 1)
        {
            throw n.Error($"axis {axis}: only flattening each sample (axis 1) maps to an engine layer");
        }
        Flat(n, x);
    }

    private static void Flat(NodeContext n, LayerImport x)
    {
        int features = x.Shape.Aggregate(1, (a, b) => checked(a * b));
        if (x.Permutation is not null)
        {
            // The engine flattens the layer's own (untransposed) output; Gather records the order ONNX meant.
            int[] layerShape = new int[x.Shape.Length];
            for (int i = 0; i < x.Shape.Length; i++)
            {
                layerShape[x.Permutation[i]] = x.Shape[i];
            }
            string layer = n.Graph.AddLayer(n.LayerName(), "flatten", [], [x.Layer]);
            n.Define(new LayerImport(layer, [features], Gather: FlatGather(layerShape, x.Permutation), TransposeNode: x.TransposeNode));
            return;
        }
        if (x.Shape.Length == 1)
        {
            n.Define(x); // already flat: nothing to do
            return;
        }
        n.AddLayer("flatten", [], [features], -1, x.Layer);
    }

    /// <summary>
    /// Reshapes with a constant shape that keep the batch axis: the first entry 0 (copied) or −1 with
    /// the rest holding one whole sample; 0 elsewhere copies the input's dimension, one −1 takes
    /// what is left. N×F is a flatten, the input's own shape nothing, anything else a reshape view.
    /// </summary>
    private static void Reshape(NodeContext n)
    {
        LayerImport x = n.Activation(0, allowTransposed: true);
        long[] target = n.Constant(1).Ints;
        long features = x.Shape.Aggregate(1L, (a, b) => a * b);
        string what = $"Reshape of N×{OnnxImporter.Format(x.Shape)} to {OnnxTensors.Dims(target)}";
        if (target.Length < 2)
        {
            throw n.Error($"{what}: the engine keeps the batch axis and at least one more");
        }
        if (target.Any(d => d < -1) || target.Count(d => d == -1) > 1)
        {
            throw n.Error($"{what}: sizes below −1, or more than one −1");
        }
        if (n.Int("allowzero", 0) != 0 && target.Contains(0))
        {
            throw n.Error($"{what}: allowzero = 1 makes 0 an empty axis");
        }
        if (target[0] is not (0 or -1))
        {
            throw n.Error($"{what}: a fixed batch of {target[0]}; the batch axis must be 0 (copied) or −1 with the other sizes making one whole sample");
        }
        var perSample = new long[target.Length - 1];
        for (int i = 0; i < perSample.Length; i++)
        {
            long d = target[i + 1];
            if (d == 0 && i >= x.Shape.Length)
            {
                throw n.Error($"{what}: 0 at axis {i + 1} copies an axis the input does not have");
            }
            perSample[i] = d == 0 ? x.Shape[i] : d;
        }
        long known = Product(perSample.Where(d => d != -1), features);
        if (perSample.Contains(-1))
        {
            if (known == 0 || known > features || features % known != 0)
            {
                throw n.Error($"{what}: the known sizes ({known} elements) do not divide the {features} of a sample");
            }
            perSample = perSample.Select(d => d == -1 ? features / known : d).ToArray();
        }
        else if (known != features)
        {
            throw n.Error($"{what}: {(known > features ? $"more than {features}" : known)} elements per sample where the input has {features}; the batch axis would change");
        }
        int[] shape = perSample.Select(d => (int)d).ToArray();
        if (shape.Length == 1)
        {
            Flat(n, x);
        }
        else if (shape.SequenceEqual(x.Shape))
        {
            n.Define(x);
        }
        else if (x.TransposeNode is not null)
        {
            throw n.Error($"{what} reads the output of Transpose node '{x.TransposeNode}'; only a flatten after a Transpose folds (into the Gemm/MatMul after it)");
        }
        else
        {
            n.AddLayer("reshape", new JsonObject { ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()) }, shape, -1, x.Layer);
        }
    }

    private static void Transpose(NodeContext n)
    {
        LayerImport x = n.Activation(0);
        int rank = x.Shape.Length + 1;
        long[] order = n.Attribute("perm")?.Ints.ToArray() ?? Enumerable.Range(0, rank).Reverse().Select(a => (long)a).ToArray();
        string permText = OnnxTensors.Dims(order);
        if (order.Length != rank || !order.Order().SequenceEqual(Enumerable.Range(0, rank).Select(a => (long)a)))
        {
            throw n.Error($"perm {permText} is not an order of the {rank} axes of N×{OnnxImporter.Format(x.Shape)}");
        }
        if (order[0] != 0)
        {
            throw n.Error($"perm {permText} moves the batch axis; the engine's layers keep it first");
        }
        int[] perm = order.Select(a => (int)a).ToArray();
        int[] axes = perm[1..].Select(p => p - 1).ToArray();
        int[] shape = axes.Select(a => x.Shape[a]).ToArray();
        if (axes.SequenceEqual(Enumerable.Range(0, axes.Length)))
        {
            n.Define(x);
            return;
        }
        string input = n.Node.Input[0];
        if (x.Layer == LayerSpec.ModelInput && input == n.Graph.InputName && n.Graph.Uses(input) == 1)
        {
            n.Graph.ReadInputTransposed(shape, $"the ONNX graph takes N×{OnnxImporter.Format(x.Shape)} and transposes it (perm {permText}); the imported model takes N×{OnnxImporter.Format(shape)}");
            n.Define(new LayerImport(LayerSpec.ModelInput, shape));
            return;
        }
        n.Define(x with { Shape = shape, Permutation = axes, TransposeNode = n.Node.Name.Length > 0 ? n.Node.Name : n.Node.Output[0] });
    }

    /// <summary>The input of a Gemm/MatMul: flat samples, possibly a flattened Transpose (folded into the weight).</summary>
    private static LayerImport FlatInput(NodeContext n)
    {
        LayerImport x = n.Activation(0, allowTransposed: true);
        if (x.Permutation is not null)
        {
            throw n.Error($"reads the output of Transpose node '{x.TransposeNode}' of N×{OnnxImporter.Format(x.Shape)}; it folds into a Gemm/MatMul only after a Flatten (or Reshape to N×F)");
        }
        return x;
    }

    /// <summary>
    /// Where each feature of the flattened transposed value lies in the flattened layer output:
    /// value axis k is layer axis <paramref name="permutation"/>[k] of <paramref name="layerShape"/>.
    /// </summary>
    private static int[] FlatGather(int[] layerShape, int[] permutation)
    {
        int rank = layerShape.Length;
        var strides = new int[rank];
        strides[rank - 1] = 1;
        for (int i = rank - 2; i >= 0; i--)
        {
            strides[i] = strides[i + 1] * layerShape[i + 1];
        }
        int[] shape = permutation.Select(p => layerShape[p]).ToArray();
        var gather = new int[layerShape.Aggregate(1, (a, b) => a * b)];
        var index = new int[rank];
        for (int j = 0; j < gather.Length; j++)
        {
            int offset = 0;
            for (int k = 0; k < rank; k++)
            {
                offset += index[k] * strides[permutation[k]];
            }
            gather[j] = offset;
            for (int k = rank - 1; k >= 0 && ++index[k] == shape[k]; k--)
            {
                index[k] = 0;
            }
        }
        return gather;
    }

    /// <summary>An out×in weight whose column j moves to column <paramref name="gather"/>[j].</summary>
    private static float[] GatherColumns(float[] weight, int units, int[] gather)
    {
        int fanIn = gather.Length;
        var result = new float[weight.Length];
        for (int u = 0; u < units; u++)
        {
            for (int j = 0; j < fanIn; j++)
            {
                result[u * fanIn + gather[j]] = weight[u * fanIn + j];
            }
        }
        return result;
    }

    // The product of positive sizes, stopping past cap (hostile shapes must not overflow).
    private static long Product(IEnumerable<long> sizes, long cap)
    {
        long product = 1;
        foreach (long d in sizes)
        {
            if (d > cap)
            {
                return cap + 1;
            }
            product *= d;
            if (product == 0 || product > cap)
            {
                return product;
            }
        }
        return product;
    }
}
