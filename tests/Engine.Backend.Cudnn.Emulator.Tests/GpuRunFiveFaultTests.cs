using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// The faults GPU run 5 found on an H200 (benchmarks/gpu/NOTES.md, "Run 5"), each reproduced on the
/// emulator, which does there what the real shim does: under bf16 a convolution resolves the shim's
/// cast kernel and grows its 16-bit staging when it is made, also while capturing; the convolution
/// workspace and the staging are single buffers a graph holds by address, grown (the old block freed)
/// by a later, larger call; cuDNN has no NHWC algorithm for float64 backward data or 3-D float64.
/// The strict-precision FFT fault is the kit's (<see cref="FusedEpilogueAndLayoutTests"/>,
/// <see cref="MeasuredAlgorithmAndStagingTests"/>).
/// </summary>
[Collection(PrecisionModeCollection.Name)]
public sealed class GpuRunFiveFaultTests
{
    private const string ModelJson = """
        { "name": "fault-net", "layers": [
          {"type": "conv2d", "name": "conv1", "filters": 8, "kernel": 3, "padding": "same"}, {"type": "relu"},
          {"type": "conv2d", "name": "conv2", "filters": 8, "kernel": 3, "stride": 2}, {"type": "relu"},
          {"type": "flatten"}, {"type": "dense", "name": "classifier", "units": 3} ] }
        """;

    // 29 examples in batches of 8: per epoch 2 warm-up steps, 1 captured, then a batch of 5.
    private const int Examples = 29, Batch = 8;

    /// <summary>
    /// bf16: "ConvolutionForward (kernel 7x7 …): ecud_kernel (resolving a kernel not used before the
    /// capture) is not allowed while the stream is being captured"; nhwc: "allocating 205,520,896
    /// bytes while capturing a CUDA graph" (the channels-last copies of each convolution).
    /// </summary>
    [Theory]
    [InlineData("bf16", "nchw")]
    [InlineData("tf32", "nhwc")]
    [InlineData("bf16", "nhwc")]
    public void TrainingWithGraphsGivesTheParametersOfEagerTraining(string precision, string layout)
    {
        try
        {
            float[][] eager = Train(graphs: false, ("ENGINE_PRECISION", precision), ("ENGINE_CUDNN_LAYOUT", layout));
            float[][] graphed = Train(graphs: true, ("ENGINE_PRECISION", precision), ("ENGINE_CUDNN_LAYOUT", layout));
            Assert.Equal(eager.Length, graphed.Length);
            for (int p = 0; p < eager.Length; p++)
            {
                Assert.Equal(eager[p].Select(BitConverter.SingleToInt32Bits), graphed[p].Select(BitConverter.SingleToInt32Bits));
            }
        }
        finally
        {
            EmulatorBackends.Create().Dispose(); // the shim's precision back to the default for the other tests
        }
    }

    /// <summary>
    /// --cudnn-workspace-mb 64: error 719 in CopyToHost. The bench's inference after the captured
    /// training steps grew the workspace (or, in bf16, the staging) and the shim freed the block the
    /// graph still used; the next replay ran kernels on freed memory.
    /// </summary>
    [Theory]
    [InlineData("tf32")]
    [InlineData("bf16")]
    public void AGraphStillRunsAfterALargerCallOutgrewTheShimsBuffers(string precision)
    {
        using IBackend backend = EmulatorBackends.Create(("ENGINE_PRECISION", precision));
        try
        {
            var capture = (IStepCapture)backend;
            var small = new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1]);
            using Tensor x = Filled(backend, new Shape(1, 2, 5, 5), 1);
            using Tensor w = Filled(backend, new Shape(2, 2, 3, 3), 2);
            using Tensor y = backend.Allocate(new Shape(1, 2, 3, 3));
            backend.ConvolutionForward(small, x, w, y); // measured and run: the workspace and staging fit this call
            float[] expected = Read(backend, y);

            capture.BeginCapture();
            try
            {
                backend.ConvolutionForward(small, x, w, y);
            }
            catch (BackendException)
            {
                Assert.Throws<BackendException>(capture.EndCapture); // the capture is over, for the tests after this one
                throw;
            }
            using ICapturedStep step = capture.EndCapture();
            backend.Fill(y, 0);
            step.Replay();
            Assert.Equal(expected, Read(backend, y));

            // A larger convolution (the bench's inference) outgrows both buffers.
            using Tensor bigX = Filled(backend, new Shape(4, 8, 16, 16), 3);
            using Tensor bigW = Filled(backend, new Shape(16, 8, 3, 3), 4);
            using Tensor bigY = backend.Allocate(new Shape(4, 16, 14, 14));
            backend.ConvolutionForward(small, bigX, bigW, bigY);

            backend.Fill(y, 0);
            step.Replay();
            Assert.Equal(expected, Read(backend, y));
        }
        finally
        {
            EmulatorBackends.Create().Dispose();
        }
    }

    /// <summary>
    /// --cudnn-layout nhwc: cuDNN has no NHWC backward-data algorithm in float64 (nor NHWC 3-D float64
    /// ones); the backend claimed them and threw "no backward data convolution algorithm for this shape".
    /// </summary>
    [Fact]
    public void ChannelsLastFallsBackToNchwWhereCudnnHasNoAlgorithm()
    {
        using IBackend nhwc = EmulatorBackends.Create(("ENGINE_CUDNN_LAYOUT", "nhwc"));
        using IBackend nchw = EmulatorBackends.Create();
        var g = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        double[] a = BackwardData(nhwc, g), b = BackwardData(nchw, g);
        Assert.Equal(b, a);
        Assert.Equal(1, EmulatorBackends.Member<int>(nhwc, "ChannelsFirstFallbacks")); // remembered: one shape, however often it runs
    }

    private static double[] BackwardData(IBackend backend, ConvolutionGeometry g)
    {
        using Tensor dy = Filled(backend, new Shape(2, 4, 6, 5), 5, DataType.Float64);
        using Tensor w = Filled(backend, new Shape(4, 3, 3, 3), 6, DataType.Float64);
        using Tensor dx = backend.Allocate(new Shape(2, 3, 6, 5), DataType.Float64);
        backend.ConvolutionBackwardData(g, dy, w, dx);
        backend.ConvolutionBackwardData(g, dy, w, dx);
        var values = new double[dx.ElementCount];
        backend.CopyToHost<double>(dx, values);
        return values;
    }

    private static Tensor Filled(IBackend backend, Shape shape, int seed, DataType type = DataType.Float32)
    {
        var random = new Random(seed);
        Tensor t = backend.Allocate(shape, type);
        if (type == DataType.Float32)
        {
            backend.CopyFromHost<float>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray(), t);
        }
        else
        {
            backend.CopyFromHost<double>(Enumerable.Range(0, (int)shape.ElementCount).Select(_ => random.NextDouble() - 0.5).ToArray(), t);
        }
        return t;
    }

    private static float[] Read(IBackend backend, Tensor t)
    {
        var values = new float[t.ElementCount];
        backend.CopyToHost<float>(t, values);
        return values;
    }

    /// <summary>fault-net's parameters after 2 epochs with the variables set (the backend reads them when created).</summary>
    private static float[][] Train(bool graphs, params (string Name, string Value)[] variables)
    {
        EngineHost host = Emulator.EngineHost;
        using IBackend backend = EmulatorBackends.Create(variables);
        var random = new Random(7);
        float[] samples = Enumerable.Range(0, Examples * 2 * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new ArrayDataset(samples, Enumerable.Range(0, Examples).Select(i => i % 3).ToArray(), new Shape(2, 8, 8), 3);
        using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(ModelJson)!, "fault-net"), backend, data.SampleShape, seed: 3);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9 });
        new Trainer(network, loss, optimizer, new TrainingOptions(2, Batch, Seed: 5) { CudaGraphs = graphs }).Fit(data);
        return network.Parameters.Select(p =>
        {
            var v = new float[p.Value.ElementCount];
            backend.CopyToHost<float>(p.Value, v);
            return v;
        }).ToArray();
    }
}
