using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// CUDA graphs of the training step (IStepCapture, StepGraph) on the cudnn backend, run through the
/// shim's host emulator: training with graphs gives the parameters of training without them bit for
/// bit (SGD with momentum under a cosine schedule, Adam), across a partial last batch and the
/// re-capture after it; a call that cannot be captured fails the capture naming it; replays allocate nothing.
/// </summary>
public sealed class CudaGraphTrainingTests
{
    private const string ModelJson = """
        { "name": "graph-net", "layers": [
          {"type": "conv2d", "name": "conv", "filters": 3, "kernel": 3},
          {"type": "relu"}, {"type": "max_pool2d", "pool": 2},
          {"type": "flatten"}, {"type": "dense", "name": "classifier", "units": 4} ] }
        """;

    // 61 examples in batches of 8: per epoch 2 warm-up steps, 1 captured, 4 replayed, then a batch of 5.
    private const int Examples = 61, Batch = 8, Epochs = 2;

    [Theory]
    [InlineData("sgd", """{"lr": 0.1, "momentum": 0.9}""")]
    [InlineData("adam", """{"lr": 0.01}""")]
    public void TrainingWithGraphsGivesTheSameParametersBitForBit(string optimizer, string arguments)
    {
        (float[][] eager, int eagerCaptures, _) = Train(optimizer, arguments, graphs: false);
        (float[][] graphed, int captures, int replays) = Train(optimizer, arguments, graphs: true);

        Assert.Equal(0, eagerCaptures);
        Assert.Equal(Epochs, captures); // once per epoch: the partial batch and the epoch's end drop the graph
        Assert.Equal(Epochs * 4, replays);
        Assert.Equal(eager.Length, graphed.Length);
        for (int p = 0; p < eager.Length; p++)
        {
            Assert.Equal(eager[p].Select(BitConverter.SingleToInt32Bits), graphed[p].Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Contains(eager.SelectMany(v => v), v => v != 0 && float.IsFinite(v));
    }

    [Fact]
    public void AStepWithDropoutRunsCapturedOnceThenEagerlyWithTheSameResult()
    {
        string dropout = ModelJson.Replace("{\"type\": \"flatten\"}", "{\"type\": \"flatten\"}, {\"type\": \"dropout\", \"rate\": 0.25}", StringComparison.Ordinal);
        Assert.NotEqual(ModelJson, dropout);
        (float[][] eager, _, _) = Train("sgd", """{"lr": 0.1}""", graphs: false, dropout);
        (float[][] graphed, int captures, int replays) = Train("sgd", """{"lr": 0.1}""", graphs: true, dropout);

        // Replays would repeat the captured masks: the captured step runs once, the rest op by op.
        Assert.Equal(1, captures);
        Assert.Equal(0, replays);
        for (int p = 0; p < eager.Length; p++)
        {
            Assert.Equal(eager[p].Select(BitConverter.SingleToInt32Bits), graphed[p].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void ACallThatCannotBeCapturedFailsTheCaptureNamingIt()
    {
        using IBackend backend = Emulator.EngineHost.CreateBackend("cudnn");
        var capture = Assert.IsAssignableFrom<IStepCapture>(backend);
        using Tensor x = backend.Allocate(new Shape(4));
        backend.Fill(x, 1);

        capture.BeginCapture();
        backend.Fill(x, 2);
        var read = Assert.Throws<BackendException>(() => backend.CopyToHost<float>(x, new float[4]));
        Assert.Contains("ecud_copy_to_host", read.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed while the stream is being captured", read.Message, StringComparison.Ordinal);
        var end = Assert.Throws<BackendException>(capture.EndCapture);
        Assert.Contains("invalidated", end.Message, StringComparison.Ordinal);
        Assert.Contains("ecud_copy_to_host", end.Message, StringComparison.Ordinal);

        // A new device allocation (a size the cache does not hold) is refused too, as such.
        capture.BeginCapture();
        var allocation = Assert.Throws<BackendException>(() => backend.Allocate(new Shape(123_457)));
        Assert.Contains("while capturing a CUDA graph", allocation.Message, StringComparison.Ordinal);
        Assert.Throws<BackendException>(capture.EndCapture);

        // Nothing captured ran; the backend works as before afterwards.
        var values = new float[4];
        backend.CopyToHost<float>(x, values);
        Assert.Equal([1f, 1f, 1f, 1f], values);
    }

    [Fact]
    public void ReplaysAllocateNothingAndReadTheUpdatedValues()
    {
        using IBackend backend = Emulator.EngineHost.CreateBackend("cudnn");
        var capture = (IStepCapture)backend;
        var memory = (IDeviceMemoryStatistics)backend;
        using Tensor value = backend.Allocate(new Shape(3));
        using Tensor gradient = backend.Allocate(new Shape(3));
        backend.CopyFromHost<float>([1f, 2f, 3f], value);
        backend.CopyFromHost<float>([1f, 1f, 1f], gradient);
        var h = new UpdateHyperparameters { LearningRate = 0.5 };

        capture.BeginCapture();
        backend.OptimizerUpdate(UpdateRule.Sgd, h, value, gradient, null, null, null);
        using ICapturedStep step = capture.EndCapture();
        step.Replay(); // the captured rate: 0.5
        (long allocations, long reserved) = (memory.DeviceAllocations, memory.BytesReserved);
        for (int i = 0; i < 500; i++)
        {
            step.BeginUpdate();
            backend.OptimizerUpdate(UpdateRule.Sgd, h with { LearningRate = i == 499 ? 0.25 : 0 }, value, gradient, null, null, null);
            step.Replay();
        }
        var values = new float[3];
        backend.CopyToHost<float>(value, values);
        Assert.Equal([0.25f, 1.25f, 2.25f], values); // 1 − 0.5 − 0.25: the last replay read its own rate
        Assert.Equal(allocations, memory.DeviceAllocations);
        Assert.Equal(reserved, memory.BytesReserved);
    }

    private static (float[][] Parameters, int Captures, int Replays) Train(string optimizerName, string arguments, bool graphs, string model = ModelJson)
    {
        EngineHost host = Emulator.EngineHost;
        using var backend = new CapturingCounter(host.CreateBackend("cudnn"));
        var random = new Random(3);
        float[] samples = Enumerable.Range(0, Examples * 64).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, Examples).Select(i => i % 4).ToArray();
        var data = new ArrayDataset(samples, labels, new Shape(1, 8, 8), 4);
        using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(model)!, "graph-net"), backend, data.SampleShape, seed: 11);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer(optimizerName, (JsonObject)JsonNode.Parse(arguments)!);
        int steps = Epochs * ((Examples + Batch - 1) / Batch);
        var options = new TrainingOptions(Epochs, Batch, Seed: 5) { Schedule = new CosineSchedule(optimizer.LearningRate, 0.001, steps), CudaGraphs = graphs };
        new Trainer(network, loss, optimizer, options).Fit(data);
        float[][] parameters = network.Parameters.Select(p =>
        {
            var v = new float[p.Value.ElementCount];
            backend.CopyToHost<float>(p.Value, v);
            return v;
        }).ToArray();
        return (parameters, backend.Captures, backend.Replays);
    }

    /// <summary>The cudnn backend, counting captures and replays (the trainer finds IStepCapture on it).</summary>
    private sealed class CapturingCounter(IBackend inner) : BackendDecorator(inner, ownsInner: true), IStepCapture
    {
        public int Captures { get; private set; }

        public int Replays { get; set; }

        public void BeginCapture() => ((IStepCapture)Inner).BeginCapture();

        public ICapturedStep EndCapture()
        {
            Captures++;
            return new Counted(((IStepCapture)Inner).EndCapture(), this);
        }

        private sealed class Counted(ICapturedStep step, CapturingCounter counter) : ICapturedStep
        {
            private bool _updated;

            public bool Replayable => step.Replayable;

            public void BeginUpdate()
            {
                _updated = true;
                step.BeginUpdate();
            }

            public void Replay()
            {
                counter.Replays += _updated ? 1 : 0; // the capture's own first run is not a replay
                _updated = false;
                step.Replay();
            }

            public void Dispose() => step.Dispose();
        }
    }
}
