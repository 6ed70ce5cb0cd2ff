using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Core.Distributed;
using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// The NCCL communicator (<see cref="DeviceCommunicator"/>) on the cudnn backend over the emulator,
/// one rank: the device group's sums leave every tensor as it is, and training in many small buckets
/// (each started as backward passes its layers) gives the parameters of training alone bit for bit.
/// Several ranks run in Engine.Cli.Tests (DistributedNcclTests, under mpirun).
/// </summary>
public sealed class NcclCommunicatorTests
{
    [Fact]
    public void OneRanksSumLeavesTheTensorsAsTheyAre()
    {
        using IBackend backend = Emulator.EngineHost.CreateBackend("cudnn");
        using var communicator = new DeviceCommunicator(null);
        communicator.Bind(backend);
        Assert.Equal("host emulation of NCCL (ranks meet in a shared-memory file) over no MPI launcher: one rank", communicator.Library);
        using Tensor a = backend.Allocate(new Shape(5));
        using Tensor b = backend.Allocate(new Shape(2, 3));
        backend.CopyFromHost<float>([1.5f, -2f, 3.25f, 0f, 7f], a);
        backend.CopyFromHost<float>([6f, 5f, 4f, 3f, 2f, 1f], b);
        communicator.Group.Sum([a, b]);
        var values = new float[5];
        backend.CopyToHost<float>(a, values);
        Assert.Equal([1.5f, -2f, 3.25f, 0f, 7f], values);
        using Tensor doubles = backend.Allocate(new Shape(2), DataType.Float64);
        Assert.Throws<ArgumentException>(() => communicator.Group.Sum([doubles]));
    }

    [Fact]
    public void OneRankTrainsInSmallBucketsWhatOneProcessTrains()
    {
        float[] alone = Train(distributed: false);
        float[] nccl = Train(distributed: true);
        Assert.Equal(alone.Select(BitConverter.SingleToInt32Bits), nccl.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(alone, v => v != 0 && float.IsFinite(v));
    }

    private static float[] Train(bool distributed)
    {
        EngineHost host = Emulator.EngineHost;
        using IBackend backend = host.CreateBackend("cudnn");
        var random = new Random(3);
        const int Examples = 40;
        float[] samples = Enumerable.Range(0, Examples * 64).Select(_ => (float)random.NextDouble()).ToArray();
        var data = new ArrayDataset(samples, Enumerable.Range(0, Examples).Select(i => i % 4).ToArray(), new Shape(1, 8, 8), 4);
        const string Model = """
            { "name": "nccl-net", "layers": [
              {"type": "conv2d", "name": "conv", "filters": 3, "kernel": 3}, {"type": "relu"},
              {"type": "flatten"}, {"type": "dense", "name": "hidden", "units": 12}, {"type": "relu"},
              {"type": "dense", "name": "classifier", "units": 4} ] }
            """;
        using Network network = host.BuildNetwork(ModelFile.FromJson(JsonNode.Parse(Model)!, "nccl-net"), backend, data.SampleShape, seed: 7);
        using ILoss loss = host.CreateLoss();
        using IOptimizer optimizer = host.CreateOptimizer("sgd", new JsonObject { ["lr"] = 0.1, ["momentum"] = 0.9 });
        using var communicator = new DeviceCommunicator(null);
        var options = new TrainingOptions(Epochs: 2, BatchSize: 8, Seed: 5);
        if (distributed)
        {
            communicator.Bind(backend);
            // Buckets of ≥ 50 elements: the classifier, the hidden layer and the convolution apart.
            options = options with { Distributed = new DistributedOptions(communicator) { BucketElements = 50 } };
        }
        new Trainer(network, loss, optimizer, options).Fit(data);
        return [.. network.Parameters.SelectMany(p =>
        {
            var v = new float[p.Value.ElementCount];
            backend.CopyToHost<float>(p.Value, v);
            return v;
        })];
    }
}
