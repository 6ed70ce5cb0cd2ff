using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>
/// The network's memory handling: inference shares activation memory between layers without
/// changing any result, the input gradient is computed only when asked for, parameter gradients
/// appear with the first backward pass, and <see cref="TensorBuffer"/> only grows.
/// </summary>
public sealed class NetworkMemoryTests
{
    private static JsonObject Units(int n) => new() { ["units"] = n };

    // Branches (an output read by three layers), a view of the input (flatten) read after later
    // layers ran, an add and a concat: every way a shared buffer could be overwritten too early.
    private static readonly ModelSpec Graph = new("graph",
    [
        new LayerSpec("flatten", Name: "f"),
        new LayerSpec("dense", Units(4), "a"),
        new LayerSpec("tanh", Name: "t"),
        new LayerSpec("dense", Units(4), "b"),
        new LayerSpec("dense", Units(4), "skip", ["f"]),
        new LayerSpec("add", Name: "sum", Inputs: ["b", "skip"]),
        new LayerSpec("relu", Name: "r"),
        new LayerSpec("dense", Units(3), "c", ["f"]),
        new LayerSpec("concat", Name: "cat", Inputs: ["r", "c", "f"]),
        new LayerSpec("dense", Units(4), "out"),
    ]);

    private static readonly Shape Sample = new(2, 3, 1);

    [Fact]
    public void InferenceWithSharedActivationsGivesTheTrainingForwardOutput()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = Network.Build(Graph, TestEngine.Catalog, backend, Sample, seed: 5, DataType.Float64);
        foreach (int batch in new[] { 5, 3, 7 })
        {
            using Tensor x = TestEngine.Upload(backend, Sample.WithBatch(batch), TestEngine.RandomValues(batch * 6, seed: (ulong)batch));
            double[] training = TestEngine.Download(net.Forward(x, training: true));
            double[] inference = TestEngine.Download(net.Forward(x, training: false));
            Assert.Equal(training, inference);
        }
        // Ten layer outputs share fewer buffers: f is a view of the input, and at most a few outputs
        // are alive at once (f is read by skip, c and cat, so it never shares).
        long perBatchRow = net.OutputShapes.Sum(s => s.ElementCount) * sizeof(double);
        Assert.InRange(net.InferenceActivationBytes, 1, 7 * perBatchRow - 1);
    }

    [Fact]
    public void BackwardReturnsTheInputGradientOnlyWhenAskedAndParameterGradientsEitherWay()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network net = Network.Build(Graph, TestEngine.Catalog, backend, Sample, seed: 5, DataType.Float64);
        // A training pass without the input gradient may cut the batch across the backend's threads
        // (summing the weight gradients of the parts: equal up to rounding), one with it never does;
        // this test compares the two bit for bit, so both run unsplit whatever the machine's cores.
        net.BatchSplit = BatchSplitMode.Off;
        using Tensor x = TestEngine.Upload(backend, Sample.WithBatch(3), TestEngine.RandomValues(18, seed: 1));
        using Tensor dy = TestEngine.Upload(backend, new Shape(3, 4), TestEngine.RandomValues(12, seed: 2));

        net.Forward(x, training: false);
        Assert.All(net.Parameters, p => Assert.False(p.HasGradient, $"{p.Name}: inference allocated a gradient"));

        net.Forward(x, training: true);
        Assert.Null(net.Backward(dy));
        var withoutInput = net.Parameters.Select(p => TestEngine.Download(p.Gradient)).ToList();

        net.ComputeInputGradient = true;
        net.Forward(x, training: true);
        double[] dx = TestEngine.Download(net.Backward(dy)!);
        Assert.Equal(18, dx.Length);
        Assert.Contains(dx, v => v != 0);
        Assert.Equal(withoutInput, net.Parameters.Select(p => TestEngine.Download(p.Gradient)).ToList());
    }

    [Fact]
    public void TensorBufferGrowsOnlyAndSmallerRequestsAreViewsOfTheSameMemory()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var buffer = new TensorBuffer(backend, DataType.Float32);
        var sample = new Shape(3);

        Tensor eight = buffer.ForBatch(8, sample);
        Assert.Equal(8 * 3 * 4, buffer.CapacityBytes);
        Assert.Same(eight, buffer.ForBatch(8, sample)); // no new object in the steady state

        Tensor four = buffer.ForBatch(4, sample);
        Assert.Equal(new Shape(4, 3), four.Shape);
        Assert.Same(eight.Storage, four.Storage);
        Assert.Equal(8 * 3 * 4, buffer.CapacityBytes);

        Tensor sixteen = buffer.ForBatch(16, sample);
        Assert.Equal(16 * 3 * 4, buffer.CapacityBytes);
        Assert.True(eight.IsDisposed); // the smaller allocation was freed when it grew
        Assert.Same(sixteen.Storage, buffer.ForBatch(8, sample).Storage);
        Assert.Same(sixteen.Storage, buffer.Get(backend, DataType.Float32, 2, 5).Storage);

        Tensor wide = buffer.Get(backend, DataType.Float64, 2, 5); // another type: new memory
        Assert.Equal(DataType.Float64, wide.DataType);
        Assert.True(sixteen.IsDisposed);
        Assert.True(buffer.Holds(wide));
    }
}
