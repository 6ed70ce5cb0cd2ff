using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Layers.Standard;
using Engine.Models.Classic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Engine.Interop.Onnx.Tests;

/// <summary>
/// The engine side (real layers, models and the OpenBLAS backend, no plugin loading) and the oracle
/// side (ONNX Runtime) of the tests, and the tolerance they agree within.
/// </summary>
internal static class OnnxTestEngine
{
    public static ComponentCatalog Catalog { get; } = BuildCatalog();

    /// <summary>float32 agreement: |a − b| ≤ 1e-4 + 1e-3·|b|.</summary>
    public static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = 1e-4 + 1e-3 * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (tolerance {tolerance:G3})");
            }
        }
    }

    /// <summary>Deterministic inputs in [-1, 1).</summary>
    public static float[] RandomInput(long count, ulong seed) =>
        Enumerable.Range(0, checked((int)count)).Select(i => (float)(CounterRandom.Uniform(seed, (ulong)i) * 2 - 1)).ToArray();

    /// <summary>Runs <paramref name="network"/> in inference on <paramref name="input"/> (batch × its input shape).</summary>
    public static float[] RunEngine(Network network, float[] input, int batch)
    {
        using Tensor x = network.Backend.Allocate(network.InputShape.WithBatch(batch));
        network.Backend.CopyFromHost<float>(input, x);
        Tensor y = network.Forward(x, training: false);
        var result = new float[y.ElementCount];
        network.Backend.CopyToHost<float>(y, result);
        return result;
    }

    /// <summary>Runs ONNX model <paramref name="model"/> in ONNX Runtime on one float32 input; returns its first output and that output's shape.</summary>
    public static (float[] Values, int[] Shape) RunOnnxRuntime(byte[] model, float[] input, int[] inputShape)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(model, options);
        string name = session.InputMetadata.Keys.Single();
        var tensor = new DenseTensor<float>(input, inputShape);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor(name, tensor)]);
        Tensor<float> output = results.First().AsTensor<float>();
        return (output.ToArray(), output.Dimensions.ToArray());
    }

    public static IBackend CreateBackend() => new OpenBlasBackendProvider().Create();

    private static ComponentCatalog BuildCatalog()
    {
        var services = new ServiceCollection();
        services.AddEngineCore();
        new OpenBlasPlugin().Register(services);
        new StandardLayersPlugin().Register(services);
        new ClassicModelsPlugin().Register(services);
        new OnnxPlugin().Register(services);
        return services.BuildServiceProvider().GetRequiredService<ComponentCatalog>();
    }
}
