using System.Text.Json.Nodes;
using Engine.Core;

namespace Engine.Backend.Conformance.Tests;

/// <summary>
/// Every standard layer, forward and backward, on every available backend in float32, against the
/// CPU (OpenBLAS) backend in float64 with the same seed, so the same initial weights (the counter
/// RNG makes them identical up to rounding). On a CPU-only machine this checks the float32 kernels
/// against the float64 ones; with a GPU backend staged it checks the GPU against the CPU.
/// </summary>
public sealed class LayerConformanceTests
{
    /// <summary>(layer kind, JSON arguments, per-sample input shape).</summary>
    public static readonly TheoryData<string, string, int[]> Layers = new()
    {
        { "dense", """{"units": 7}""", [3, 4, 2] },
        { "conv1d", """{"filters": 4, "kernel": 3, "padding": "same"}""", [3, 11] },
        { "conv2d", """{"filters": 6, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1, "groups": 2}""", [4, 9, 8] },
        { "conv3d", """{"filters": 2, "kernel": [2, 3, 3], "padding": 1}""", [2, 4, 5, 5] },
        { "locally_connected2d", """{"filters": 3, "kernel": 3}""", [2, 6, 5] },
        { "max_pool2d", """{"pool": 3, "stride": 2, "padding": 1}""", [3, 9, 9] },
        { "avg_pool2d", """{"pool": 2}""", [3, 8, 6] },
        { "global_avg_pool", "{}", [5, 4, 3] },
        { "maxout", """{"pieces": 2}""", [6, 3, 3] },
        { "batch_norm", "{}", [4, 5, 5] },
        { "lrn", """{"size": 3}""", [6, 4, 4] },
        { "relu", "{}", [10] },
        { "sigmoid", "{}", [10] },
        { "tanh", "{}", [10] },
        { "leaky_relu", """{"slope": 0.1}""", [10] },
        { "elu", "{}", [10] },
        { "prelu", "{}", [4, 3, 3] },
        { "softmax", "{}", [9] },
        { "flatten", "{}", [2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void LayerMatchesTheCpuFloat64Run(string kind, string arguments, int[] sample)
    {
        var sampleShape = new Shape(sample);
        const int batch = 3;
        var spec = new ModelSpec(kind, [new LayerSpec(kind, JsonNode.Parse(arguments)!.AsObject())]);
        using IBackend reference = Backends.Create("openblas");
        var (refOut, refIn, refParams) = Run(spec, reference, DataType.Float64, sampleShape, batch);

        foreach (IBackendProvider provider in Backends.Available())
        {
            using IBackend backend = provider.Create();
            var (output, input, parameters) = Run(spec, backend, DataType.Float32, sampleShape, batch);
            TensorData.AssertClose(refOut, output, DataType.Float32, $"{provider.Name} {kind} forward");
            TensorData.AssertClose(refIn, input, DataType.Float32, $"{provider.Name} {kind} d/dinput");
            for (int i = 0; i < refParams.Count; i++)
            {
                TensorData.AssertClose(refParams[i], parameters[i], DataType.Float32, $"{provider.Name} {kind} d/dparameter {i}");
            }
        }
    }

    private static (double[] Output, double[] InputGradient, List<double[]> ParameterGradients) Run(
        ModelSpec spec, IBackend backend, DataType type, Shape sample, int batch)
    {
        using Network net = Network.Build(spec, Backends.Catalog, backend, sample, seed: 3, type);
        net.ComputeInputGradient = true;
        using Tensor x = TensorData.Upload(backend, sample.WithBatch(batch), TensorData.Random((int)(sample.ElementCount * batch), 5, DataType.Float32), type);
        Shape outShape = net.OutputShape.WithBatch(batch);
        using Tensor dy = TensorData.Upload(backend, outShape, TensorData.Random((int)outShape.ElementCount, 6, DataType.Float32), type);
        double[] output = TensorData.Download(net.Forward(x, training: true));
        double[] inputGradient = TensorData.Download(net.Backward(dy)!);
        return (output, inputGradient, net.Parameters.Select(p => TensorData.Download(p.Gradient)).ToList());
    }
}
