namespace Engine.Layers.Standard.Tests;

public sealed class ActivationLayerTests
{
    public static TheoryData<string, string> Smooth => new()
    {
        { "sigmoid", "{}" },
        { "tanh", "{}" },
    };

    public static TheoryData<string, string> Kinked => new()
    {
        { "relu", "{}" },
        { "leaky_relu", "{}" },
        { "leaky_relu", "{\"slope\": 0.01}" },
        { "leaky_relu", "{\"slope\": 0.1}" },
        { "leaky_relu", "{\"slope\": -0.3}" },
        { "elu", "{}" },
        { "elu", "{\"alpha\": 0.5}" },
    };

    /// <summary>Seeded normal values pushed at least 0.1 away from 0, where the kinked activations are smooth.</summary>
    internal static double[] AwayFromZero(int count, ulong seed) =>
        LayerHarness.Random(count, seed).Select(v => v + (v < 0 ? -0.1 : 0.1)).ToArray();

    [Theory]
    [MemberData(nameof(Smooth))]
    public void SmoothActivationGradientsMatchFiniteDifferences(string kind, string args)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(2, 3, 2);
        using ILayer layer = LayerHarness.Build(backend, kind, args, shape);
        GradientChecker.Check(layer, backend, shape, batch: 3);
    }

    [Theory]
    [MemberData(nameof(Kinked))]
    public void KinkedActivationGradientsMatchFiniteDifferencesAwayFromZero(string kind, string args)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        foreach (Shape shape in new[] { new Shape(5), new Shape(2, 3, 2) })
        {
            using ILayer layer = LayerHarness.Build(backend, kind, args, shape);
            const int batch = 3;
            GradientChecker.Check(layer, backend, shape, batch, AwayFromZero(batch * (int)shape.ElementCount, 3));
        }
    }

    [Theory]
    [InlineData("relu", "{}", new[] { -1.0, 0, 2 }, new[] { 0.0, 0, 2 })]
    [InlineData("sigmoid", "{}", new[] { 0.0, 1.0986122886681098, -1.0986122886681098 }, new[] { 0.5, 0.75, 0.25 })] // ln 3
    [InlineData("tanh", "{}", new[] { 0.0, 0.69314718055994531 }, new[] { 0.0, 0.6 })] // tanh ln 2 = 1.5/2.5
    [InlineData("leaky_relu", "{}", new[] { -1.0, 0, 3 }, new[] { -0.01, 0, 3 })]
    [InlineData("leaky_relu", "{\"slope\": 0.1}", new[] { -2.0, 3 }, new[] { -0.2, 3 })]
    [InlineData("leaky_relu", "{\"slope\": -0.5}", new[] { -2.0, 3 }, new[] { 1.0, 3 })]
    [InlineData("elu", "{}", new[] { -0.69314718055994531, 0, 3 }, new[] { -0.5, 0, 3 })] // e^−ln 2 − 1
    [InlineData("elu", "{\"alpha\": 2}", new[] { -0.69314718055994531, 1.5 }, new[] { -1.0, 1.5 })]
    public void KnownAnswers(string kind, string args, double[] input, double[] expected)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, kind, args, new Shape(input.Length));
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, input.Length), input);
        double[] y = LayerHarness.Download(layer.Forward(x, training: false));
        for (int i = 0; i < y.Length; i++)
        {
            Assert.Equal(expected[i], y[i], 12);
        }
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("sigmoid")]
    [InlineData("tanh")]
    [InlineData("leaky_relu")]
    [InlineData("elu")]
    public void KindNameIsTheRegisteredName(string kind)
    {
        using ILayer layer = LayerHarness.Create(kind, name: "a1");
        Assert.Equal(kind, layer.Kind);
        Assert.Equal("a1", layer.Name);
        Assert.Empty(layer.Parameters);
    }

    [Theory]
    [InlineData("{\"alpha\": 0}", "'alpha' is 0; it must be > 0")]
    [InlineData("{\"alpha\": -1}", "'alpha' is -1; it must be > 0")]
    [InlineData("{\"alpha\": \"big\"}", "'alpha' is \"big\"")]
    [InlineData("{\"slope\": 0.1}", "unknown argument(s) 'slope'")]
    public void EluRejectsBadArguments(string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("elu", args));
        Assert.Contains(message, error.Message);
        Assert.Contains("(elu)", error.Message);
    }

    [Theory]
    [InlineData("leaky_relu", "{\"slope\": true}", "'slope' is true")]
    [InlineData("leaky_relu", "{\"alpha\": 0.1}", "unknown argument(s) 'alpha'")]
    [InlineData("relu", "{\"slope\": 0.1}", "unknown argument(s) 'slope'")]
    public void OtherActivationsRejectBadArguments(string kind, string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create(kind, args));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void BackwardWithoutTrainingForwardIsAnError()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "elu", "{}", new Shape(2));
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 2), [1, -1]);
        Tensor y = layer.Forward(x, training: false);
        Assert.Throws<InvalidOperationException>(() => layer.Backward(y));
    }
}
