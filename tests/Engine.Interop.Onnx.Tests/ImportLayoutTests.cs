using Engine.Core;
using static Engine.Interop.Onnx.Tests.TestGraph;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// Reshape, Transpose, one-sided Clip and single-axis softmax as exporters write them (Keras through
/// tf2onnx: NHWC input transposed first, a transpose before the flatten): each imported graph computes
/// what ONNX Runtime computes, exports again to the same, and what cannot keep the batch axis or
/// be folded is refused naming the node.
/// </summary>
public sealed class ImportLayoutTests
{
    [Fact]
    public void ReshapesThatKeepTheBatchAreViews()
    {
        var g = new TestGraph([48]);
        g.Node("Reshape", ["x", g.Ints("to_image", -1, 3, 4, 4)]);
        g.Node("Conv", [g.Last, g.Weight("c.weight", [2, 3, 3, 3]), g.Weight("c.bias", [2])], Is("pads", 1, 1, 1, 1));
        g.Node("Reshape", [g.Last, g.Ints("rows", 0, 0, -1)]);
        g.Node("Reshape", [g.Last, g.Ints("flat", 0, 32)]);
        g.Node("Gemm", [g.Last, g.Weight("fc.weight", [5, 32]), g.Weight("fc.bias", [5])], I("transB", 1));
        ModelPackage package = ImportOperatorTests.Check(g, expectKinds: ["reshape", "conv2d", "reshape", "flatten", "dense"], reexport: true);
        Assert.Equal([2, 16], package.Spec.Layers[2].Arguments!["shape"]!.AsArray().Select(d => (int)d!));
    }

    [Fact]
    public void LeadingTransposeFromNhwcIsFoldedIntoTheInputLayout()
    {
        var g = new TestGraph([6, 5, 3]); // N×H×W×C, as Keras models take it
        g.Node("Transpose", null, Is("perm", 0, 3, 1, 2));
        g.Node("Conv", [g.Last, g.Weight("c.weight", [4, 3, 3, 3])]);
        g.Node("Relu");
        ModelPackage package = ImportOperatorTests.Check(g, expectKinds: ["conv2d", "relu"], engineInput: (x, n) => Nchw(x, n, 6, 5, 3), reexport: true);
        Assert.Equal(new Shape(3, 6, 5), package.InputShape);
        Assert.Contains("takes N×6×5×3 and transposes it (perm [0, 3, 1, 2]); the imported model takes N×3×6×5", package.Metadata["input_layout"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Flatten")]
    [InlineData("Reshape")]
    public void TransposeBeforeTheFlattenFoldsIntoTheDenseWeight(string flatten)
    {
        // Keras's Flatten works on N×H×W×C: tf2onnx writes NCHW→NHWC, then the flatten, then MatMul + Add.
        var g = new TestGraph([3, 4, 5]);
        g.Node("Conv", ["x", g.Weight("c.weight", [6, 3, 1, 1])]);
        g.Node("Transpose", null, Is("perm", 0, 2, 3, 1));
        g.Node(flatten, flatten == "Flatten" ? null : [g.Last, g.Ints("flat", -1, 120)]);
        g.Node("MatMul", [g.Last, g.Weight("fc.weight", [120, 7])]);
        g.Node("Add", [g.Last, g.Weight("fc.bias", [7])]);
        ImportOperatorTests.Check(g, expectKinds: ["conv2d", "flatten", "dense"], reexport: true);
    }

    [Fact]
    public void KerasLayoutFixtureImportsAsConvReluFlattenDense()
    {
        // Both transposes of tf2onnx's channels-last pattern in one file made with the onnx helper API.
        byte[] model = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "tests", "Engine.Interop.Onnx.Tests", "Fixtures", "keras_layout.onnx"));
        ModelPackage package = ImportOperatorTests.Check(model, [8, 8, 3], expectKinds: ["conv2d", "relu", "flatten", "dense"], engineInput: (x, n) => Nchw(x, n, 8, 8, 3), reexport: true);
        Assert.Equal(new Shape(3, 8, 8), package.InputShape);
    }

    [Fact]
    public void ClipWithOnlyALowerBound()
    {
        var g = new TestGraph([12]);
        g.Node("Clip", ["x", g.Floats("lo", [], [-0.3f])]);
        g.Node("Clip", [g.Last, g.Floats("lo2", [], [0.1f]), ""]);
        ModelPackage package = ImportOperatorTests.Check(g, expectKinds: ["clip", "clip"], reexport: true);
        // No upper bound is written "max": null, which the model file keeps.
        ModelSpec again = ModelFile.FromJson(System.Text.Json.Nodes.JsonNode.Parse(ModelFile.ToJson(package.Spec)), "test");
        Assert.True(again.Layers[0].Arguments!.ContainsKey("max"));
        Assert.Null(again.Layers[0].Arguments!["max"]);
    }

    [Fact]
    public void SingleAxisSoftmaxOverOneAxisOfASample()
    {
        var g = new TestGraph([5, 3, 3]);
        g.Node("GlobalAveragePool");
        g.Node("Softmax", null, I("axis", 1)); // N×5×1×1: axis 1 is the whole sample
        g.Node("Flatten");
        g.Node("LogSoftmax", null, I("axis", 1));
        ImportOperatorTests.Check(g, expectKinds: ["avg_pool2d", "softmax", "flatten", "log_softmax"], scale: 3, reexport: true);
    }

    [Theory]
    [InlineData(new long[] { 2, -1 }, "to [2, -1]: a fixed batch of 2")]
    [InlineData(new long[] { -1, 81 }, "to [-1, 81]: 81 elements per sample where the input has 324; the batch axis would change")]
    [InlineData(new long[] { 0, 5, -1 }, "to [0, 5, -1]: the known sizes (5 elements) do not divide the 324 of a sample")]
    [InlineData(new long[] { 0, 0, 0, 0, 0 }, "to [0, 0, 0, 0, 0]: 0 at axis 4 copies an axis the input does not have")]
    [InlineData(new long[] { 0, 1L << 40, 1L << 40 }, "elements per sample where the input has 324")]
    [InlineData(new long[] { -1 }, "the engine keeps the batch axis and at least one more")]
    public void ReshapesThatWouldChangeTheBatchAreRefused(long[] shape, string message)
    {
        var g = new TestGraph([4, 9, 9]);
        g.Node("Reshape", ["x", g.Ints("shape", shape)]);
        string error = HostileFileTests.Error(g.Build());
        Assert.Contains("(Reshape, domain ai.onnx, opset 13): Reshape of N×4×9×9 ", error);
        Assert.Contains(message, error);
    }

    [Fact]
    public void TransposesThatCannotFoldAreRefused()
    {
        var batch = new TestGraph([4, 9, 9]);
        batch.Node("Transpose", null, Is("perm", 1, 0, 2, 3));
        Assert.Contains("(Transpose, domain ai.onnx, opset 13): perm [1, 0, 2, 3] moves the batch axis", HostileFileTests.Error(batch.Build()));

        var relu = new TestGraph([4, 9, 9]);
        relu.Node("Conv", ["x", relu.Weight("c.weight", [2, 4, 1, 1])]);
        relu.Node("Transpose", null, Is("perm", 0, 2, 3, 1));
        relu.Node("Relu");
        Assert.Contains("(Relu, domain ai.onnx, opset 13): reads the output of Transpose node '/Transpose_2'", HostileFileTests.Error(relu.Build()));

        var reshape = new TestGraph([4, 9, 9]);
        reshape.Node("Conv", ["x", reshape.Weight("c.weight", [2, 4, 1, 1])]);
        reshape.Node("Transpose", null, Is("perm", 0, 2, 3, 1));
        reshape.Node("Reshape", [reshape.Last, reshape.Ints("shape", 0, 9, 18)]);
        Assert.Contains("Reshape of N×9×9×2 to [0, 9, 18] reads the output of Transpose node '/Transpose_2'", HostileFileTests.Error(reshape.Build()));

        var output = new TestGraph([4, 9, 9]);
        output.Node("Conv", ["x", output.Weight("c.weight", [2, 4, 1, 1])]);
        output.Node("Transpose", null, Is("perm", 0, 2, 3, 1));
        Assert.Contains("is not the output of a layer", HostileFileTests.Error(output.Build()));

        var notAPermutation = new TestGraph([4, 9, 9]);
        notAPermutation.Node("Transpose", null, Is("perm", 0, 1, 1, 2));
        Assert.Contains("perm [0, 1, 1, 2] is not an order of the 4 axes of N×4×9×9", HostileFileTests.Error(notAPermutation.Build()));
    }

    [Fact]
    public void ClipWithoutALowerBoundAndChannelSoftmaxAreRefused()
    {
        var clip = new TestGraph([12]);
        clip.Node("Clip", ["x", "", clip.Floats("hi", [], [6f])]);
        string clipError = HostileFileTests.Error(clip.Build());
        Assert.Contains("(Clip, domain ai.onnx, opset 13): Clip to [", clipError);
        Assert.Contains(", 6]: the engine's clip layer needs a finite lower bound", clipError);

        var softmax = new TestGraph([5, 3, 3]);
        softmax.Node("Softmax", null, I("axis", 1));
        Assert.Contains("(Softmax, domain ai.onnx, opset 13): a softmax over axis 1 of N×5×3×3", HostileFileTests.Error(softmax.Build()));
    }

    // N×H×W×C → N×C×H×W.
    private static float[] Nchw(float[] x, int n, int h, int w, int c)
    {
        var y = new float[x.Length];
        for (int s = 0; s < n; s++)
        {
            for (int i = 0; i < h * w; i++)
            {
                for (int k = 0; k < c; k++)
                {
                    y[(s * c + k) * h * w + i] = x[(s * h * w + i) * c + k];
                }
            }
        }
        return y;
    }
}
