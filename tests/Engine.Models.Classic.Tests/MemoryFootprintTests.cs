using Xunit.Abstractions;
using Engine.Backend.OpenBlas;
using Engine.Core;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// Backend tensor memory of the reference models through a training run with evaluation and through
/// inference alone, measured by <see cref="CountingBackend"/>: buffers keep their capacity when the
/// batch shrinks (a second epoch allocates nothing), inference allocates no gradients and shares
/// activation memory between layers. The numbers are printed for benchmarks/NOTES.md.
/// </summary>
public sealed class MemoryFootprintTests(ITestOutputHelper output)
{
    private const int TrainBatch = 64;
    private const int EvalBatch = 256;

    // An epoch in miniature: full training batches, the last partial one, evaluation (a partial last
    // batch too), then training again, as the trainer does between epochs.
    private static readonly (int Batch, bool Training)[] Epoch =
        [(TrainBatch, true), (TrainBatch, true), (17, true), (EvalBatch, false), (100, false), (TrainBatch, true)];

    [Theory]
    [InlineData("lenet5", 1, 28, 28)]
    [InlineData("vgg-cifar", 3, 32, 32)]
    public void TrainingKeepsItsBuffersAndInferenceHoldsNoGradients(string model, int channels, int height, int width)
    {
        var sample = new Shape(channels, height, width);
        using IBackend cpu = new OpenBlasBackendProvider().Create();
        var (backend, counter) = CountingBackend.Wrap(cpu);
        using var batches = new Batches(cpu, sample, EvalBatch);
        ModelSpec spec = ModelTestEngine.Catalog.Model(model).Spec;

        long parameterBytes;
        long trainingPeak, steadyAllocated;
        using (Network network = Network.Build(spec, ModelTestEngine.Catalog, backend, sample, seed: 1))
        {
            parameterBytes = counter.LiveBytes;
            counter.ResetPeak();
            RunEpoch(network, batches);
            trainingPeak = counter.PeakBytes;
            counter.ResetPeak();
            RunEpoch(network, batches);
            steadyAllocated = counter.AllocatedBytes;
        }

        long inferencePeak;
        using (Network network = Network.Build(spec, ModelTestEngine.Catalog, backend, sample, seed: 1))
        {
            counter.ResetPeak();
            foreach (int batch in new[] { EvalBatch, 100, EvalBatch })
            {
                network.Forward(batches.Inputs(batch), training: false);
            }
            inferencePeak = counter.PeakBytes - parameterBytes;
            Assert.All(network.Parameters, p => Assert.False(p.HasGradient, $"{p.Name} has a gradient after inference alone"));
        }
        output.WriteLine($"{model}: parameters {parameterBytes:N0} B; training with evaluation peak {trainingPeak:N0} B (second epoch allocates {steadyAllocated:N0} B); inference at batch {EvalBatch}: peak {inferencePeak:N0} B beyond the parameters");

        Assert.Equal(0, steadyAllocated);
        // Inference holds two activation buffers of the largest layer output (a chain ping-pongs), not
        // one per layer: at most 2× the largest activation plus the loss-free output, well under the sum.
        Network probe = Network.Build(spec, ModelTestEngine.Catalog, cpu, sample, seed: 1);
        long largest = probe.OutputShapes.Max(s => s.ElementCount) * EvalBatch * sizeof(float);
        long sum = probe.OutputShapes.Sum(s => s.ElementCount) * EvalBatch * sizeof(float);
        // Inference fusion keeps one scale and one shift per channel of each fused chain (constants like
        // the parameters, a few KB): bounded by two floats per output channel of every layer.
        long fusionConstants = probe.OutputShapes.Sum(s => (long)s[0]) * 2 * sizeof(float);
        // A convolution → activation → pooling chain may store only the pooled output (the backend's
        // pooled kernel): the least a pass must hold is the largest output outside such chains.
        var layers = probe.Layers;
        bool Pooled(int i) => (i + 2 < layers.Count && layers[i] is IEpilogueLayer && layers[i + 1] is IActivationLayer && layers[i + 2] is IPoolingLayer)
            || (i >= 1 && Pooled(i - 1) && layers[i] is IActivationLayer);
        long stored = probe.OutputShapes.Where((_, i) => !Pooled(i)).Max(s => s.ElementCount) * EvalBatch * sizeof(float);
        probe.Dispose();
        Assert.InRange(inferencePeak, stored, 2 * largest + fusionConstants);
        Assert.True(inferencePeak < sum, $"inference peak {inferencePeak:N0} B should be under the sum of all layer outputs {sum:N0} B");
    }

    // The network's memory alone: the output gradient stands in for a loss's (whose buffers belong
    // to the loss) and lives, like the inputs, on the undecorated backend.
    private static void RunEpoch(Network network, Batches batches)
    {
        foreach (var (batch, training) in Epoch)
        {
            network.Forward(batches.Inputs(batch), training);
            if (training)
            {
                network.Backward(batches.OutputGradient(batch));
            }
        }
    }

    /// <summary>Random inputs and output gradients for each batch size, on the undecorated backend (not counted).</summary>
    private sealed class Batches(IBackend backend, Shape sample, int largest) : IDisposable
    {
        private readonly Dictionary<int, (Tensor X, Tensor T)> _byBatch = [];

        public Tensor Inputs(int batch) => Get(batch).X;

        public Tensor OutputGradient(int batch) => Get(batch).T;

        public void Dispose()
        {
            foreach (var (x, t) in _byBatch.Values)
            {
                x.Dispose();
                t.Dispose();
            }
        }

        private (Tensor X, Tensor T) Get(int batch)
        {
            Assert.InRange(batch, 1, largest);
            if (!_byBatch.TryGetValue(batch, out var pair))
            {
                var random = new Random(batch);
                float[] x = new float[batch * sample.ElementCount];
                for (int i = 0; i < x.Length; i++)
                {
                    x[i] = (float)random.NextDouble();
                }
                float[] t = new float[batch * 10];
                for (int i = 0; i < t.Length; i++)
                {
                    t[i] = (float)(random.NextDouble() - 0.5) / batch;
                }
                pair = (backend.Allocate(sample.WithBatch(batch)), backend.Allocate(new Shape(batch, 10)));
                backend.CopyFromHost<float>(x, pair.X);
                backend.CopyFromHost<float>(t, pair.T);
                _byBatch[batch] = pair;
            }
            return pair;
        }
    }
}
