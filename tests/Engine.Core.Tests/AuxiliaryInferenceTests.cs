using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>
/// Auxiliary heads (GoogLeNet's) are training-only: an inference pass runs only the layers the main
/// output depends on, and gives the same output as a pass that computes every layer.
/// </summary>
public sealed class AuxiliaryInferenceTests
{
    // 'side' reads 'r' beside the main head 'out' and feeds only its auxiliary loss.
    private static readonly ModelSpec Spec = new("aux-mlp",
    [
        new LayerSpec("flatten", Name: "f"),
        new LayerSpec("dense", new JsonObject { ["units"] = 32 }, "h"),
        new LayerSpec("relu", Name: "r"),
        new LayerSpec("dense", new JsonObject { ["units"] = 7 }, "side", ["r"]),
        new LayerSpec("dense", new JsonObject { ["units"] = 10 }, "out", ["r"]),
    ])
    { AuxiliaryOutputs = [new AuxiliaryOutput("side", 0.3)] };

    [Fact]
    public void InferenceSkipsTheAuxiliaryHeadAndKeepsTheOutput()
    {
        using IBackend inner = TestEngine.CreateBackend();
        using var backend = new GemmRecorder(inner);
        using Network net = Network.Build(Spec, TestEngine.Catalog, backend, new Shape(1, 4, 4), seed: 3, DataType.Float64);
        Assert.Equal([true, true, true, false, true], net.FeedsMainOutput);
        using Tensor x = TestEngine.Upload(backend, new Shape(5, 1, 4, 4), TestEngine.RandomValues(80, 11));

        // Training computes every layer: the dense layers' GEMMs write 32, 7 and 10 columns.
        double[] everyLayer = TestEngine.Download(net.Forward(x, training: true));
        Assert.Equal([32, 7, 10], backend.Columns);
        Assert.Equal(new Shape(5, 7), net.AuxiliaryOutput(0).Shape);

        backend.Columns.Clear();
        double[] inference = TestEngine.Download(net.Forward(x, training: false));
        Assert.Equal([32, 10], backend.Columns); // 'side' (7 columns) did not run
        Assert.Equal(everyLayer, inference); // dense and relu are the same in both modes: bit for bit
        Assert.Contains("after a training forward pass only", Assert.Throws<InvalidOperationException>(() => net.AuxiliaryOutput(0)).Message);
    }

    /// <summary>Records the column count of every GEMM result (a dense layer's units in its forward pass).</summary>
    private sealed class GemmRecorder(IBackend inner) : BackendDecorator(inner, ownsInner: false)
    {
        public List<int> Columns { get; } = [];

        public override void Gemm(bool transposeA, bool transposeB, double alpha, Tensor a, Tensor b, double beta, Tensor c)
        {
            Columns.Add(c.Shape[^1]);
            base.Gemm(transposeA, transposeB, alpha, a, b, beta, c);
        }
    }
}
