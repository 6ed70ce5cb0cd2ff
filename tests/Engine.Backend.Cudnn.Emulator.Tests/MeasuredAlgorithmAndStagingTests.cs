using System.Reflection;
using System.Text.Json.Nodes;
using Engine.Cli;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// Issue 15's per-step waste on the emulator: convolution algorithms measured once per shape (the
/// emulator's find offers made-up candidates and refuses a run whose algorithm, workspace or math
/// type the find did not offer), batches uploaded through the pinned two-slot staging (the emulator
/// refuses an upload into a slot whose tensors may still be read), and the step timing engine bench
/// train prints as the GPU's idle time.
/// </summary>
public sealed class MeasuredAlgorithmAndStagingTests
{
    private const string ModelJson = """
        { "name": "algo-net", "layers": [
          {"type": "conv2d", "name": "conv1", "filters": 4, "kernel": 3, "padding": "same"}, {"type": "relu"},
          {"type": "conv2d", "name": "conv2", "filters": 4, "kernel": 3, "stride": 2}, {"type": "relu"},
          {"type": "flatten"}, {"type": "dense", "name": "classifier", "units": 3} ] }
        """;

    [Fact]
    public void MeasuredChoicesTrainAsTheHeuristicsDoAndMeasureEachShapeOnce()
    {
        (float[][] heuristic, object? none) = Train(("ENGINE_CUDNN_ALGORITHMS", "heuristic"));
        (float[][] measured, object? algorithms) = Train();

        Assert.Null(none);
        Assert.NotNull(algorithms);
        // conv1 forward and backward filter (no gradient for the input), conv2 forward, backward data
        // and backward filter, each for the batch of 8 and the last batch of 5.
        Assert.Equal(10, Member<int>(algorithms, "Count"));
        Assert.Equal(10, Member<int>(algorithms, "Finds"));
        for (int p = 0; p < heuristic.Length; p++)
        {
            // The emulator computes every algorithm the same way: any difference is a wrong operand.
            Assert.Equal(heuristic[p].Select(BitConverter.SingleToInt32Bits), measured[p].Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void AZeroWorkspaceBudgetAndStrictPrecisionRestrictTheChoices()
    {
        (_, object? small) = Train(("ENGINE_CUDNN_WORKSPACE_MB", "0"));
        Array choices = Member<Array>(small!, "Choices", call: true);
        Assert.NotEmpty(choices.Cast<object>());
        Assert.All(choices.Cast<object>(), c => Assert.Equal((nuint)0, Field<nuint>(c, "Workspace")));

        // Strict precision takes cuDNN's heuristic choice unless measured algorithms are asked for.
        (_, object? strictDefault) = Train(("ENGINE_PRECISION", "strict"));
        Assert.Null(strictDefault);
        (_, object? strict) = Train(("ENGINE_PRECISION", "strict"), ("ENGINE_CUDNN_ALGORITHMS", "measured"));
        Assert.True(Member<bool>(strict!, "Deterministic"));
        object[] strictChoices = Member<Array>(strict!, "Choices", call: true).Cast<object>().ToArray();
        Assert.All(strictChoices, c => Assert.Equal(1, Field<int>(c, "Deterministic")));
        Assert.All(strictChoices, c => Assert.Equal(3, Field<int>(c, "Math"))); // FMA: no TF32
        // The emulator's fastest backward-filter candidate (ALGO_3) is not deterministic and the next
        // (FFT_TILING) not a plain sum: strict takes ALGO_1. No FFT nor Winograd anywhere (forward 4 to 7,
        // backward data 2 to 5, backward filter 6 are the emulator's transform algorithms).
        Assert.Contains(strictChoices, c => Field<int>(c, "Algo") == 1);
        Assert.DoesNotContain(strictChoices, c => Field<int>(c, "Algo") >= 3);
    }

    [Fact]
    public void BatchesGoThroughThePinnedSlotsAndArriveIntact()
    {
        using IBackend backend = Emulator.EngineHost.CreateBackend("cudnn");
        var upload = Assert.IsAssignableFrom<IBatchUpload>(backend);
        Tensor[] inputs = [backend.Allocate(new Shape(2, 3)), backend.Allocate(new Shape(2, 3))];
        Tensor[] labels = [backend.Allocate(new Shape(2), DataType.Int32), backend.Allocate(new Shape(2), DataType.Int32)];
        using Tensor sum = backend.Allocate(new Shape(2, 3));
        try
        {
            backend.Fill(sum, 0);
            for (int step = 0; step < 6; step++)
            {
                int slot = step % 2;
                float[] values = Enumerable.Range(0, 6).Select(i => (float)(step * 10 + i)).ToArray();
                upload.UploadBatch(slot, values, inputs[slot], [step, -step], labels[slot]);
                backend.Axpby(1, inputs[slot], 1, sum); // the step reading the slot, queued before the slot's next upload
            }
            var total = new float[6];
            backend.CopyToHost<float>(sum, total);
            Assert.Equal(Enumerable.Range(0, 6).Select(i => (float)(150 + 6 * i)), total);
            var last = new int[2];
            backend.CopyToHost<int>(labels[1], last);
            Assert.Equal([5, -5], last);
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => upload.UploadBatch(2, new float[6], inputs[0], new int[2], labels[0]));
            Assert.Contains("the staging slot is 0 or 1", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach (Tensor t in inputs.Concat(labels))
            {
                t.Dispose();
            }
        }
    }

    [Fact]
    public void BenchTrainWithUploadsReportsTheGpuIdleTimePerStep()
    {
        _ = Emulator.EngineHost; // sets ENGINE_CUDNN_SHIM before the plugin loads its shim
        var output = new StringWriter();
        var error = new StringWriter();
        int code = EngineCli.Run(["bench", "train", "--device", "cudnn", "--plugins", RepoPaths.StagedPlugins, "--model", "lenet5", "--dataset", "synthetic",
            "--input", "1x28x28", "--batch", "4", "--inference-batch", "4", "--steps", "3", "--repeat", "2", "--warmup", "3", "--held", "2", "--upload"],
            output, error);
        Assert.Equal("", error.ToString());
        Assert.Equal(0, code);
        string text = output.ToString();
        Assert.Matches(@"gpu idle  \d+\.\d{3} ms per training step median \(\d+\.\d% of the step\), busy \d+\.\d{3} ms median, batches loaded and uploaded each step \(device events around each of 6 steps", text);
        Assert.Matches(@"result    train_images_per_s=\d+ .* gpu_idle_ms_per_step=\d+\.\d{3}", text);
        Assert.Contains("convolution algorithms measured once per shape (cudnnFind) within a 1024 MiB workspace", text, StringComparison.Ordinal);
    }

    /// <summary>Trains algo-net for 2 epochs of 13 examples in batches of 8 with the variables set; returns the parameters and the backend's choices.</summary>
    private static (float[][] Parameters, object? Algorithms) Train(params (string Name, string Value)[] variables)
    {
        EngineHost host = Emulator.EngineHost;
        string?[] saved = variables.Select(v => Environment.GetEnvironmentVariable(v.Name)).ToArray();
        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
        IBackend backend;
        try
        {
            backend = host.CreateBackend("cudnn"); // reads the variables
        }
        finally
        {
            for (int i = 0; i < variables.Length; i++)
            {
                Environment.SetEnvironmentVariable(variables[i].Name, saved[i]);
            }
        }
        using (backend)
        {
            var random = new Random(7);
            float[] samples = Enumerable.Range(0, 13 * 64).Select(_ => (float)random.NextDouble()).ToArray();
            var data = new ArrayDataset(samples, Enumerable.Range(0, 13).Select(i => i % 3).ToArray(), new Shape(1, 8, 8), 3);
            using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(ModelJson)!, "algo-net"), backend, data.SampleShape, seed: 3);
            using ILoss loss = host.CreateLoss();
            using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9 });
            new Trainer(network, loss, optimizer, new TrainingOptions(2, 8, Seed: 5)).Fit(data);
            float[][] parameters = network.Parameters.Select(p =>
            {
                var v = new float[p.Value.ElementCount];
                backend.CopyToHost<float>(p.Value, v);
                return v;
            }).ToArray();
            object? algorithms = backend.GetType().GetProperty("Algorithms", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(backend);
            return (parameters, algorithms);
        }
    }

    // The plugin is loaded by the host, not referenced: its internals are read by reflection.
    private static T Member<T>(object target, string name, bool call = false)
    {
        const BindingFlags Any = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance;
        object? value = call ? target.GetType().GetMethod(name, Any)!.Invoke(target, null) : target.GetType().GetProperty(name, Any)!.GetValue(target);
        return (T)value!;
    }

    private static T Field<T>(object target, string name) =>
        (T)target.GetType().GetField(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(target)!;
}
