using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>Every registered optimiser: it learns, resumes bit for bit, leaves frozen parameters alone, refuses bad arguments.</summary>
public sealed class OptimizerBehaviourTests
{
    public static TheoryData<string, string> Optimizers => new()
    {
        { "sgd", """{"lr": 0.5}""" },
        { "sgd", """{"lr": 0.2, "momentum": 0.9, "nesterov": true, "weight_decay": 0.001}""" },
        { "adagrad", """{"lr": 0.3, "lr_decay": 0.01, "weight_decay": 0.001}""" },
        { "rmsprop", """{"lr": 0.01, "momentum": 0.5, "centered": true, "weight_decay": 0.001}""" },
        { "adam", """{"lr": 0.05, "amsgrad": true, "weight_decay": 0.001}""" },
        { "adamw", """{"lr": 0.05}""" },
        { "radam", """{"lr": 0.05, "weight_decay": 0.001}""" },
        { "lookahead", """{"inner": {"name": "adam", "lr": 0.05}, "k": 3}""" },
        { "ranger", """{"lr": 0.05, "k": 4}""" },
    };

    private static IOptimizer Create(string name, string arguments) =>
        OptimizerHarness.Create(name, (JsonObject)JsonNode.Parse(arguments)!);

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ReducesTheLossOfALinearClassifier(string name, string arguments)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        using IOptimizer optimizer = Create(name, arguments);
        double first = model.Train(optimizer, 60);
        double last = model.LossAndGradients();
        Assert.True(last < 0.5 * first, $"{name}: loss {first} → {last}");
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void ResumingFromSavedStateContinuesBitForBit(string name, string arguments)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var uninterrupted = new LinearClassifier(backend);
        using (IOptimizer optimizer = Create(name, arguments))
        {
            uninterrupted.Train(optimizer, 10);
        }

        using var resumed = new LinearClassifier(backend);
        var state = new StateDictionary();
        using (IOptimizer before = Create(name, arguments))
        {
            resumed.Train(before, 5);
            ((IStatefulComponent)before).SaveState(state, "optimizer.");
        }
        using (IOptimizer after = Create(name, arguments))
        {
            ((IStatefulComponent)after).LoadState(state, "optimizer."); // before the first step: kept pending
            resumed.Train(after, 5);
        }
        Assert.Equal(uninterrupted.Values(), resumed.Values());
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void LoadingIntoAnOptimizerThatHasStateReplacesIt(string name, string arguments)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        using IOptimizer optimizer = Create(name, arguments);
        model.Train(optimizer, 3);
        var atThree = new StateDictionary();
        ((IStatefulComponent)optimizer).SaveState(atThree, "");
        double[] valuesAtThree = model.Values();
        model.Train(optimizer, 4);
        double[] expected = model.Values();

        backend.CopyFromHost<double>(valuesAtThree.AsSpan(0, 12), model.Weight.Value);
        backend.CopyFromHost<double>(valuesAtThree.AsSpan(12), model.Bias.Value);
        ((IStatefulComponent)optimizer).LoadState(atThree, "");
        model.Train(optimizer, 4);
        Assert.Equal(expected, model.Values());
    }

    [Theory]
    [MemberData(nameof(Optimizers))]
    public void FrozenParametersAreUntouchedAndGetNoState(string name, string arguments)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        model.Bias.Frozen = true;
        double[] weightBefore = TestEngine.Download(model.Weight.Value);
        using IOptimizer optimizer = Create(name, arguments);
        model.Train(optimizer, 5);
        Assert.Equal([0.0, 0.0, 0.0], TestEngine.Download(model.Bias.Value));
        Assert.NotEqual(weightBefore, TestEngine.Download(model.Weight.Value));
        var state = new StateDictionary();
        ((IStatefulComponent)optimizer).SaveState(state, "");
        Assert.DoesNotContain(state.Names, n => n.Contains("linear.bias", StringComparison.Ordinal));
        Assert.Contains(state.Names, n => n.Contains("linear.weight", StringComparison.Ordinal));
    }

    [Fact]
    public void StateIsKeyedByParameterName()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        using IOptimizer adam = OptimizerHarness.Create("adam");
        model.Train(adam, 2);
        var state = new StateDictionary();
        ((IStatefulComponent)adam).SaveState(state, "opt.");
        Assert.Equal(["opt.linear.weight.step", "opt.linear.weight.exp_avg", "opt.linear.weight.exp_avg_sq", "opt.linear.bias.step", "opt.linear.bias.exp_avg", "opt.linear.bias.exp_avg_sq"], state.Names);
        Assert.Equal(2, state.GetInt64("opt.linear.weight.step"));
    }

    [Fact]
    public void MisShapedSavedStateIsAnErrorNamingTheParameter()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        var state = new StateDictionary();
        state.SetInt64("linear.weight.step", 3);
        state.Set("linear.weight.exp_avg", new StateEntry(new Shape(2), new double[2]));
        state.Set("linear.weight.exp_avg_sq", new StateEntry(new Shape(2), new double[2]));
        using IOptimizer adam = OptimizerHarness.Create("adam");
        ((IStatefulComponent)adam).LoadState(state, "");
        var e = Assert.Throws<ShapeException>(() => model.Train(adam, 1));
        Assert.Contains("optimizer 'adam'", e.Message);
        Assert.Contains("'linear.weight'", e.Message);
    }

    [Fact]
    public void MissingSavedStateEntryIsNamedWhenLoading()
    {
        var state = new StateDictionary();
        state.SetInt64("linear.weight.step", 3);
        state.Set("linear.weight.exp_avg", new StateEntry(new Shape(2), new double[2]));
        using IOptimizer adam = OptimizerHarness.Create("adam");
        var e = Assert.Throws<ConfigurationException>(() => ((IStatefulComponent)adam).LoadState(state, ""));
        Assert.Contains("linear.weight.exp_avg_sq", e.Message);
    }

    [Theory]
    [InlineData("adam", """{"beta1": 1.5}""", "beta1", "1.5")]
    [InlineData("adam", """{"lr": -1}""", "lr", "-1")]
    [InlineData("rmsprop", """{"alpha": 2}""", "alpha", "2")]
    [InlineData("sgd", """{"momentum": -0.1}""", "momentum", "-0.1")]
    [InlineData("sgd", """{"nesterov": true}""", "nesterov", "momentum 0")]
    [InlineData("adagrad", """{"eps": "small"}""", "eps", "small")]
    [InlineData("ranger", """{"k": 0}""", "k", "0")]
    [InlineData("lookahead", """{"alpha": 2}""", "alpha", "2")]
    [InlineData("lookahead", """{"inner": {"name": "adam", "betas": 1}}""", "inner optimizer 'adam'", "betas")]
    [InlineData("lookahead", """{"inner": 3}""", "inner", "3")]
    [InlineData("lookahead", """{"inner": "nadam"}""", "optimizer", "nadam")]
    [InlineData("adamw", """{"weight_decay": -0.01}""", "weight_decay", "-0.01")]
    public void BadArgumentsAreErrorsNamingTheOptimizerArgumentAndValue(string name, string arguments, string argument, string value)
    {
        var e = Assert.ThrowsAny<EngineException>(() => Create(name, arguments).Dispose());
        Assert.Contains(name, e.Message);
        Assert.Contains(argument, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void StepsAllocateNoManagedMemoryOnceStateExists()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var model = new LinearClassifier(backend);
        foreach (string name in new[] { "sgd", "adam", "rmsprop", "ranger" })
        {
            using IOptimizer optimizer = OptimizerHarness.Create(name, name == "sgd" ? new JsonObject { ["momentum"] = 0.9 } : null);
            IReadOnlyList<Parameter> parameters = model.Parameters;
            optimizer.Step(parameters);
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                optimizer.Step(parameters);
            }
            Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        }
    }
}
