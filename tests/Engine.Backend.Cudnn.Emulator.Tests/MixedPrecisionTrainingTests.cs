using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>Runs alone: ENGINE_PRECISION and the shim's math mode are per process.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PrecisionModeCollection
{
    public const string Name = "shim precision mode";
}

/// <summary>
/// LeNet-5 training steps on the cudnn backend over the emulator in each precision mode. The
/// emulator runs TF32 as exact float32 (sums in double), so the float32 run is the reference; bf16
/// and fp16 round every convolution and GEMM operand (and a convolution's output) as the GPU's
/// 16-bit copies would.
/// </summary>
[Collection(PrecisionModeCollection.Name)]
public sealed class MixedPrecisionTrainingTests
{
    private const int Steps = 3, Batch = 16;

    private static readonly ArrayDataset Data = RandomImages(Steps * Batch);

    private static ArrayDataset RandomImages(int count)
    {
        var pixels = new float[count * 28 * 28];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)CounterRandom.Uniform(11, (ulong)i);
        }
        return new ArrayDataset(pixels, Enumerable.Range(0, count).Select(i => i % 10).ToArray(), new Shape(1, 28, 28), 10);
    }

    /// <summary>LeNet-5's weights after <see cref="Steps"/> SGD steps (and before), in <paramref name="precision"/>.</summary>
    private static (float[] Before, float[] After, string Description) Train(string precision, LossScaler? scaler = null)
    {
        EngineHost host = Emulator.EngineHost;
        Environment.SetEnvironmentVariable("ENGINE_PRECISION", precision);
        try
        {
            using IBackend backend = host.CreateBackend("cudnn");
            using Network network = host.BuildNetwork(host.ResolveModel("lenet5"), backend, new Shape(1, 28, 28), seed: 5);
            float[] before = Weights(network);
            using ILoss loss = host.CreateLoss();
            using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.05 });
            var trainer = new Trainer(network, loss, optimizer, new TrainingOptions(Epochs: 1, BatchSize: Batch, Seed: 2) { LossScaling = scaler });
            trainer.Fit(Data);
            return (before, Weights(network), backend.Description);
        }
        finally
        {
            // Back to the default mode for the other tests of this process.
            Environment.SetEnvironmentVariable("ENGINE_PRECISION", null);
            host.CreateBackend("cudnn").Dispose();
        }
    }

    private static float[] Weights(Network network)
    {
        var all = new List<float>();
        foreach (Parameter p in network.Parameters)
        {
            var values = new float[p.Value.ElementCount];
            p.Value.Backend.CopyToHost<float>(p.Value, values);
            all.AddRange(values);
        }
        return [.. all];
    }

    /// <summary>‖update(a) − update(b)‖ / ‖update(b)‖ of two runs from the same initial weights.</summary>
    private static double UpdateDifference((float[] Before, float[] After, string) a, (float[] Before, float[] After, string) b)
    {
        Assert.Equal(a.Before, b.Before);
        double difference = 0, norm = 0;
        for (int i = 0; i < a.After.Length; i++)
        {
            double ua = a.After[i] - a.Before[i], ub = b.After[i] - b.Before[i];
            difference += (ua - ub) * (ua - ub);
            norm += ub * ub;
        }
        Assert.True(norm > 0, "the float32 run did not change the weights");
        return Math.Sqrt(difference / norm);
    }

    [Fact]
    public void Bf16AndFp16StepsStayCloseToFloat32()
    {
        var float32 = Train("tf32");
        var bf16 = Train("bf16");
        var fp16 = Train("fp16", new LossScaler());
        Assert.Contains("bf16 mixed precision", bf16.Description, StringComparison.Ordinal);
        double bf16Difference = UpdateDifference(bf16, float32), fp16Difference = UpdateDifference(fp16, float32);
        // bf16 keeps 8 significant bits (relative rounding 2^-9 per operand), fp16 11 (2^-12). The weight
        // gradients of random images with random labels are sums with heavy cancellation, so the
        // updates differ by many times that (measured: bf16 0.20, fp16 0.013), but not more, not zero
        // (the rounding is really done), and fp16 about 2^3 times closer than bf16.
        Assert.InRange(bf16Difference, 0.05, 0.4);
        Assert.InRange(fp16Difference, 3e-3, 0.05);
        Assert.True(fp16Difference * 4 < bf16Difference, $"fp16 {fp16Difference} should be several times closer to float32 than bf16 {bf16Difference}");
    }

    [Fact]
    public void AnFp16OverflowSkipsTheStepAndHalvesTheScale()
    {
        // 2^30 × a loss gradient of about 1/16 is far beyond fp16's 65504: the 16-bit copies of the
        // GEMM operands hold infinities, every step overflows and is skipped, and the scale halves each time.
        using var overflowing = new LossScaler(initialScale: 1 << 30);
        var fp16 = Train("fp16", overflowing);
        Assert.Equal(Steps, overflowing.SkippedSteps);
        Assert.Equal(1 << (30 - Steps), overflowing.Scale);
        Assert.Equal(fp16.Before, fp16.After);

        // The same scale in float32 does not overflow, and unscaling gives float32's own update
        // (power-of-two scales are exact).
        using var scaled = new LossScaler(initialScale: 1 << 30);
        var float32Scaled = Train("tf32", scaled);
        Assert.Equal(0, scaled.SkippedSteps);
        Assert.InRange(UpdateDifference(float32Scaled, Train("tf32")), 0, 1e-6);
    }
}
