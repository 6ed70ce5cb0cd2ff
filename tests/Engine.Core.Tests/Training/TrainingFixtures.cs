using System.Text.Json.Nodes;
using Engine.Tests;

namespace Engine.Core.Tests.Training;

/// <summary>Small models, data sets and temporary folders for the training tests.</summary>
internal static class TrainingFixtures
{
    private static readonly Lazy<DatasetSplits> MnistSplits = new(() => TestEngine.Catalog.Dataset("mnist").Load(RepoPaths.Mnist));

    public static ByteImageDataset MnistTrain(int count) => ((ByteImageDataset)MnistSplits.Value.Train).Take(count);

    public static ByteImageDataset MnistTest(int count) => ((ByteImageDataset)MnistSplits.Value.Test).Take(count);

    /// <summary>flatten → dense(hidden) → batch_norm → relu → dropout(0.25) → dense(classes): state in two layers.</summary>
    public static ModelSpec MlpWithBatchNormAndDropout(int hidden = 32, int classes = 10) => new("bn-dropout-mlp",
    [
        new LayerSpec("flatten"),
        new LayerSpec("dense", new JsonObject { ["units"] = hidden }),
        new LayerSpec("batch_norm"),
        new LayerSpec("relu"),
        new LayerSpec("dropout", new JsonObject { ["rate"] = 0.25 }),
        new LayerSpec("dense", new JsonObject { ["units"] = classes }),
    ]);

    public static Network Build(IBackend backend, ModelSpec spec, ulong seed, Shape? input = null) =>
        Network.Build(spec, TestEngine.Catalog, backend, input ?? new Shape(1, 28, 28), seed);

    /// <summary>Every parameter value and layer state of <paramref name="network"/> as raw bits, for bit-exact comparisons.</summary>
    public static Dictionary<string, long[]> Bits(Network network)
    {
        var state = new StateDictionary();
        ModelState.Save(network, state);
        return state.Names.ToDictionary(n => n, n => state[n].Values switch
        {
            float[] f => f.Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray(),
            double[] d => d.Select(BitConverter.DoubleToInt64Bits).ToArray(),
            long[] l => l,
            _ => throw new InvalidOperationException(),
        });
    }

    /// <summary>A fresh empty folder under the system temp folder, deleted on dispose.</summary>
    public sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("engine-training-").FullName;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}

/// <summary>
/// Momentum SGD written for the tests (v ← μv + g; θ ← θ − εv) with its velocities as
/// <see cref="IStatefulComponent"/> state: checks that resuming restores an optimiser's state
/// through the interface alone.
/// </summary>
internal sealed class TestMomentumOptimizer(double learningRate, double momentum = 0.9) : IOptimizer, IStatefulComponent
{
    private readonly Dictionary<string, Tensor> _velocity = [];
    private List<Parameter> _parameters = [];

    public string Name => "test-momentum";

    public IEnumerable<OpDescriptor> RequiredOps(DataType dataType) =>
        [new(BackendOp.Axpby, dataType), new(BackendOp.Memory, dataType)];

    public double LearningRate { get; set; } = learningRate;

    public void Step(IReadOnlyList<Parameter> parameters)
    {
        _parameters = parameters.ToList();
        foreach (Parameter p in parameters)
        {
            if (p.Frozen)
            {
                continue;
            }
            Tensor v = Velocity(p);
            p.Value.Backend.Axpby(1, p.Gradient, momentum, v);
            p.Value.Backend.Axpby(-LearningRate, v, 1, p.Value);
        }
    }

    public void SaveState(StateDictionary state, string prefix)
    {
        foreach (var (name, v) in _velocity)
        {
            state.SetTensor(prefix + "velocity/" + name, v);
        }
    }

    public void LoadState(StateDictionary state, string prefix)
    {
        foreach (string name in state.Names.Where(n => n.StartsWith(prefix + "velocity/", StringComparison.Ordinal)))
        {
            string parameter = name[(prefix.Length + "velocity/".Length)..];
            _pending[parameter] = name;
            _loaded = state;
        }
    }

    private readonly Dictionary<string, string> _pending = [];
    private StateDictionary? _loaded;

    private Tensor Velocity(Parameter p)
    {
        if (!_velocity.TryGetValue(p.Name, out Tensor? v))
        {
            v = p.Value.Backend.Allocate(p.Value.Shape, p.Value.DataType);
            p.Value.Backend.Fill(v, 0);
            if (_pending.Remove(p.Name, out string? entry))
            {
                _loaded!.CopyTo(entry, v);
            }
            _velocity[p.Name] = v;
        }
        return v;
    }

    public void Dispose()
    {
        foreach (Tensor v in _velocity.Values)
        {
            v.Dispose();
        }
    }
}
