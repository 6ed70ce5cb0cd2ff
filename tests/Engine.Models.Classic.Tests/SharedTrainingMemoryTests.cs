using Xunit.Abstractions;
using Engine.Backend.OpenBlas;
using Engine.Core;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// Training passes that share memory between layers (<see cref="Network.ShareTrainingMemory"/>, the
/// default: input gradients, and the outputs nothing reads in backward) against the same passes with
/// buffers per layer: the same bits in every parameter and in the input gradient after several steps
/// of ResNet-20 (residual adds, a zero-padding shortcut, fan-out points whose gradients are summed,
/// batch norms whose outputs only an add reads) and VGG (pooling, dropout, batch norm + ReLU pairs), and far less memory.
/// </summary>
public sealed class SharedTrainingMemoryTests(ITestOutputHelper output)
{
    private const int Batch = 4;
    private const int Steps = 3;

    // transient: whether some layer's output is read by nothing in backward. ResNet-20's batch norms before the residual adds
    // are; VGG-CIFAR's batch norms are each read by a ReLU only, and that pair runs as one layer in training (batch norm +
    // ReLU fusion), whose output the next convolution keeps.
    [Theory]
    [InlineData("resnet20", 3, 16, 16, true)]
    [InlineData("vgg-cifar", 3, 32, 32, false)]
    public void SharingMemoryChangesNoBitOfTraining(string model, int channels, int height, int width, bool transient)
    {
        var sample = new Shape(channels, height, width);
        var (shared, sharedBytes, sharedArena, transientBytes) = Train(model, sample, share: true);
        var (own, ownBytes, ownArena, _) = Train(model, sample, share: false);
        output.WriteLine($"{model} batch {Batch}: backend memory after {Steps} steps {sharedBytes:N0} B shared (gradients {sharedArena:N0} B, transient outputs {transientBytes:N0} B), {ownBytes:N0} B with buffers per layer");

        Assert.Equal(own.Length, shared.Length);
        for (int i = 0; i < own.Length; i++)
        {
            Assert.True(own[i].AsSpan().SequenceEqual(shared[i]), $"tensor {i} differs between shared and per-layer gradient memory");
        }
        Assert.Equal(0, ownArena);
        Assert.True(transient == transientBytes > 0, $"{transientBytes:N0} B of outputs in shared memory; expected {(transient ? "some (the batch norms' before the adds)" : "none")}");

        // Per layer: every input gradient (the size of the layer's input) was held; shared, a few
        // buffers of the largest gradient are. The difference is most of the per-layer total.
        using IBackend cpu = new OpenBlasBackendProvider().Create();
        using Network probe = Network.Build(ModelTestEngine.Catalog.Model(model).Spec, ModelTestEngine.Catalog, cpu, sample, seed: 1);
        long largest = probe.OutputShapes.Max(s => s.ElementCount) * Batch * sizeof(float);
        long perLayer = probe.OutputShapes.SkipLast(1).Sum(s => s.ElementCount) * Batch * sizeof(float);
        Assert.InRange(sharedArena, largest, 4 * largest);
        Assert.True(ownBytes - sharedBytes > perLayer / 2, $"sharing saved {ownBytes - sharedBytes:N0} B of about {perLayer:N0} B of per-layer input gradients");
    }

    // Steps of plain gradient descent on fixed random data; returns every parameter and the last
    // input gradient as host arrays, the backend bytes alive afterwards, and the shared memory's sizes.
    private static (float[][] Values, long LiveBytes, long ArenaBytes, long TransientBytes) Train(string model, Shape sample, bool share)
    {
        using IBackend cpu = new OpenBlasBackendProvider().Create();
        var (backend, counter) = CountingBackend.Wrap(cpu);
        using Network network = Network.Build(ModelTestEngine.Catalog.Model(model).Spec, ModelTestEngine.Catalog, backend, sample, seed: 1);
        network.ShareTrainingMemory = share;
        network.ComputeInputGradient = true;
        using Tensor x = Upload(cpu, sample.WithBatch(Batch), seed: 1, scale: 1);
        using Tensor dy = Upload(cpu, network.OutputShape.WithBatch(Batch), seed: 2, scale: 1.0 / Batch);
        Tensor? dx = null;
        for (int step = 0; step < Steps; step++)
        {
            network.Forward(x, training: true);
            dx = network.Backward(dy);
            foreach (Parameter p in network.Parameters)
            {
                backend.Axpby(-0.05, p.Gradient, 1, p.Value);
            }
        }
        float[][] values = network.Parameters.Select(p => Read(cpu, p.Value)).Append(Read(cpu, dx!)).ToArray();
        return (values, counter.LiveBytes, network.SharedGradientBytes, network.SharedTrainingActivationBytes);
    }

    // Through the undecorated backend: the counting proxy cannot forward a call with a span.
    private static float[] Read(IBackend cpu, Tensor tensor) =>
        new Tensor(cpu, tensor.Storage, tensor.Shape, tensor.DataType, ownsStorage: false).ToArray();

    private static Tensor Upload(IBackend backend, Shape shape, int seed, double scale)
    {
        var random = new Random(seed);
        float[] values = new float[shape.ElementCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() - 0.5) * scale);
        }
        Tensor tensor = backend.Allocate(shape);
        backend.CopyFromHost<float>(values, tensor);
        return tensor;
    }
}
