using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Tests;

namespace Engine.Host.Tests;

/// <summary>
/// The host API as an application meets it: a layer and a loss by name, tensors from and to
/// arrays, class-index targets, and a network's state by name, each checked against numbers.
/// </summary>
public sealed class HostApiTests : IDisposable
{
    private readonly EngineHost _host;
    private readonly IBackend _backend;

    public HostApiTests()
    {
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        _host = EngineHost.Create(options);
        _backend = _host.CreateBackend("cpu");
    }

    [Fact]
    public void ArraysGoInAndComeBackUnchanged()
    {
        float[] values = [1.5f, -2, 3.25f, 0, 1e-7f, -1e30f];
        using Tensor t = _backend.FromArray(values, new Shape(2, 3));
        Assert.Equal(new Shape(2, 3), t.Shape);
        Assert.Equal(DataType.Float32, t.DataType);
        Assert.Equal(values, t.ToArray());
        t.CopyFrom([6f, 5, 4, 3, 2, 1]);
        Assert.Equal([6f, 5, 4, 3, 2, 1], t.ToArray());

        using Tensor d = _backend.FromArray(new double[] { 0.1, 0.2 }, new Shape(2));
        Assert.Equal(DataType.Float64, d.DataType);
        Assert.Equal([0.1, 0.2], d.ToArray<double>());
        Assert.Equal([0.1f, 0.2f], d.ToArray());

        using Tensor labels = _backend.FromLabels([3, 0, 9]);
        Assert.Equal(new Shape(3), labels.Shape);
        Assert.Equal(DataType.Int32, labels.DataType);
        Assert.Equal([3, 0, 9], labels.ToArray<int>());
    }

    [Fact]
    public void ArraysOfTheWrongSizeOrTypeAreRefusedWithTheNumbers()
    {
        var size = Assert.Throws<ShapeException>(() => _backend.FromArray(new float[5], new Shape(2, 3)));
        Assert.Equal("FromArray: 5 values do not fill shape [2, 3] (6 elements)", size.Message);
        using Tensor labels = _backend.FromLabels([1, 2]);
        var type = Assert.Throws<ArgumentException>(() => labels.ToArray());
        Assert.StartsWith("ToArray: Tensor[2] Int32 on openblas holds Int32 values; read them with ToArray<int>()", type.Message);
    }

    [Fact]
    public void ALayerByNameComputesWhatItsWeightsSay()
    {
        // y = x·Wᵀ + b with W = [[1, 2, 3], [−1, 0, 1]], b = [0.5, −0.5]; x = [[1, 1, 1], [2, 0, −1]].
        using ILayer dense = _host.CreateLayer("dense", new() { ["units"] = 2 }, _backend, new Shape(3));
        Assert.Equal(["dense.weight", "dense.bias"], dense.Parameters.Select(p => p.Name));
        dense.Parameters[0].Value.CopyFrom([1f, 2, 3, -1, 0, 1]);
        dense.Parameters[1].Value.CopyFrom([0.5f, -0.5f]);
        using Tensor x = _backend.FromArray([1f, 1, 1, 2, 0, -1], new Shape(2, 3));
        float[] y = dense.Forward(x, training: false).ToArray();
        Assert.Equal([6.5f, -0.5f, -0.5f, -3.5f], y);

        using ILayer relu = _host.CreateLayer("relu");
        Assert.Equal("relu", relu.Kind);
        Assert.Empty(relu.Parameters); // not initialised: no backend given
    }

    [Fact]
    public void ALayerRefusesAMisspeltArgumentAndAnInputItCannotTake()
    {
        var typo = Assert.Throws<ConfigurationException>(() => _host.CreateLayer("dense", new() { ["units"] = 2, ["unit"] = 3 }));
        Assert.StartsWith("layer 'dense': unknown argument(s) 'unit'; it read: ", typo.Message);
        var unknown = Assert.Throws<ConfigurationException>(() => _host.CreateLayer("densse"));
        Assert.StartsWith("unknown layer kind 'densse'; known: ", unknown.Message);
        var shape = Assert.Throws<ShapeException>(() => _host.CreateLayer("conv2d", new() { ["filters"] = 1, ["kernel"] = 3 }, _backend, new Shape(5)));
        Assert.StartsWith("layer 'conv2d' (conv2d): input [5]: input", shape.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALossByNameTakesArgumentsAndClassIndices()
    {
        // Logits [0, ln 3] for class 0: softmax p0 = 1/4, loss −ln(1/4) = ln 4. With label smoothing 0.5
        // over K = 2 the target is [0.75, 0.25]: loss = −0.75·ln(1/4) − 0.25·ln(3/4).
        using Tensor logits = _backend.FromArray([0f, MathF.Log(3)], new Shape(1, 2));
        using Tensor target = _backend.FromLabels([0]);
        using ILoss plain = _host.CreateLoss("softmax-cross-entropy");
        Assert.Equal(Math.Log(4), plain.Compute(logits, target).Value.ToArray()[0], 5);
        using ILoss smooth = _host.CreateLoss("softmax-cross-entropy", new() { ["label_smoothing"] = 0.5 });
        LossOutput smoothed = smooth.Compute(logits, target);
        Assert.Equal((0.75 * Math.Log(4)) - (0.25 * Math.Log(0.75)), smoothed.Value.ToArray()[0], 5);
        // d/dlogits = softmax − target = [0.25 − 0.75, 0.75 − 0.25].
        Assert.Equal([-0.5f, 0.5f], smoothed.Gradient.ToArray().Select(g => MathF.Round(g, 5)));
        var typo = Assert.Throws<ConfigurationException>(() => _host.CreateLoss("mse", new() { ["margin"] = 1 }));
        Assert.Equal("loss 'mse': unknown argument(s) 'margin'; it takes none", typo.Message);
    }

    [Fact]
    public void AStateDictionaryRestoresExactOutputsBatchNormStatisticsIncluded()
    {
        ModelSpec spec = BatchNormModel();
        using Network trained = _host.BuildNetwork(spec, _backend, new Shape(1, 4, 4), seed: 1);
        using Tensor x = _backend.FromArray(Enumerable.Range(0, 3 * 16).Select(i => MathF.Sin(i)).ToArray(), new Shape(3, 1, 4, 4));
        for (int i = 0; i < 3; i++)
        {
            trained.Forward(x, training: true); // moves the running statistics away from 0 and 1
        }
        float[] expected = trained.Forward(x, training: false).ToArray();

        StateDictionary state = trained.StateDict();
        Assert.Equal(["params/conv2d1.weight", "params/conv2d1.bias", "params/batch_norm1.gamma", "params/batch_norm1.beta", "params/dense1.weight", "params/dense1.bias",
            "layers/batch_norm1/running_mean", "layers/batch_norm1/running_var"], state.Names);
        var runningMean = (float[])state["layers/batch_norm1/running_mean"].Values;
        Assert.All(runningMean, m => Assert.NotEqual(0f, m));

        using Network fresh = _host.BuildNetwork(spec, _backend, new Shape(1, 4, 4), seed: 2);
        Assert.NotEqual(expected, fresh.Forward(x, training: false).ToArray());
        StateLoadReport report = fresh.LoadStateDict(state);
        Assert.Empty(report.Missing);
        Assert.Empty(report.Unexpected);
        Assert.Equal(expected, fresh.Forward(x, training: false).ToArray());
        Assert.Equal(runningMean, fresh.StateDict()["layers/batch_norm1/running_mean"].Values);
    }

    [Fact]
    public void AStateDictionaryThatDoesNotFitIsRefusedNamingTheEntries()
    {
        ModelSpec spec = BatchNormModel();
        using Network net = _host.BuildNetwork(spec, _backend, new Shape(1, 4, 4), seed: 1);
        StateDictionary state = net.StateDict();
        float[] before = Flat(net);

        StateDictionary partial = Without(state, "params/dense1.bias", "layers/batch_norm1/running_var");
        partial.Set("params/head.weight", new StateEntry(new Shape(1), new[] { 1f }));
        var strict = Assert.Throws<ConfigurationException>(() => net.LoadStateDict(partial));
        Assert.Equal("model 'bn': cannot load the state: 2 missing entries ('params/dense1.bias', 'layers/batch_norm1/running_var'); 1 unexpected entry ('params/head.weight'); LoadStateDict(state, strict: false) loads the entries that match", strict.Message);

        StateDictionary reshaped = Without(state);
        reshaped.Set("params/dense1.weight", new StateEntry(new Shape(3, 32), new float[96]));
        var shape = Assert.Throws<ShapeException>(() => net.LoadStateDict(reshaped, strict: false));
        Assert.Equal("model 'bn': cannot load the state: entry 'params/dense1.weight' is float32 [3, 32] but the network's is float32 [3, 18]", shape.Message);
        Assert.Equal(before, Flat(net)); // refused before anything was copied

        // Not strict: what matches loads (the zeroed weight), the rest is reported and left alone.
        StateDictionary zeroed = Without(partial);
        zeroed.Set("params/dense1.weight", new StateEntry(new Shape(3, 18), new float[54]));
        StateLoadReport report = net.LoadStateDict(zeroed, strict: false);
        Assert.Equal(["params/dense1.bias", "layers/batch_norm1/running_var"], report.Missing);
        Assert.Equal(["params/head.weight"], report.Unexpected);
        Assert.All((float[])net.StateDict()["params/dense1.weight"].Values, w => Assert.Equal(0f, w));
    }

    [Fact]
    public void IntegerLabelsInArraysTrainAClassifier()
    {
        // Two separable classes in 2-D: x0 > x1 is class 0, else class 1.
        var random = new Random(3);
        float[] points = Enumerable.Range(0, 2 * 200).Select(_ => (float)random.NextDouble()).ToArray();
        int[] labels = Enumerable.Range(0, 200).Select(i => points[2 * i] > points[(2 * i) + 1] ? 0 : 1).ToArray();
        var data = new ArrayDataset(points, labels, new Shape(2), classCount: 2);
        ModelSpec spec = new ModelBuilder("linear").Add("dense", new JsonObject { ["units"] = 2 }).Build();
        using Network net = _host.BuildNetwork(spec, _backend, new Shape(2), seed: 1);
        using ILoss loss = _host.CreateLoss();
        using IOptimizer sgd = _host.CreateOptimizer("sgd", new() { ["lr"] = 0.5, ["momentum"] = 0.9 });
        new Trainer(net, loss, sgd, new TrainingOptions(Epochs: 20, BatchSize: 20)).Fit(new TrainingData(data));
        Assert.True(Trainer.Evaluate(net, data).Top1 >= 0.95);
        var bad = Assert.Throws<ConfigurationException>(() => new ArrayDataset(points, labels.Select(l => l * 2).ToArray(), new Shape(2), classCount: 2));
        Assert.StartsWith("label 2 of sample ", bad.Message);
    }

    [Fact]
    public void AHostWithoutPluginsSaysWhereItLookedAndWhereThePluginsGo()
    {
        using var empty = EngineHost.Create(new EngineHostOptions { UseEnvironmentVariable = false });
        var error = Assert.Throws<ConfigurationException>(() => empty.CreateBackend());
        string folder = PluginDiscovery.DefaultFolder;
        Assert.Equal($"no backend plugin is loaded: the host searched {folder} and found 0 plugin(s); stage the plugins as {Path.Combine(folder, "<Name>", "<Name>.dll")}, or name their folder in EngineHostOptions.PluginFolders (the command's --plugins) or ENGINE_PLUGIN_PATH", error.Message);
    }

    private static ModelSpec BatchNormModel() => new ModelBuilder("bn")
        .Add("conv2d", new JsonObject { ["filters"] = 2, ["kernel"] = 2 })
        .Add("batch_norm")
        .Add("relu")
        .Add("flatten")
        .Add("dense", new JsonObject { ["units"] = 3 })
        .Build();

    private static float[] Flat(Network net)
    {
        StateDictionary state = net.StateDict();
        return [.. state.Names.SelectMany(n => (float[])state[n].Values)];
    }

    private static StateDictionary Without(StateDictionary state, params string[] names)
    {
        var copy = new StateDictionary();
        foreach (string name in state.Names.Except(names))
        {
            copy.Set(name, state[name]);
        }
        return copy;
    }

    public void Dispose()
    {
        _backend.Dispose();
        _host.Dispose();
    }
}
