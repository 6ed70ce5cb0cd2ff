namespace Engine.Layers.Standard.Tests;

public sealed class PReluLayerTests
{
    public static TheoryData<bool, Shape> Cases => new()
    {
        { false, new Shape(4) },
        { true, new Shape(4) },
        { false, new Shape(3, 2, 2) },
        { true, new Shape(3, 2, 2) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferencesForInputAndSlopes(bool shared, Shape shape)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "prelu", shared ? "{\"shared\": true}" : "{}", shape);
        // Distinct slopes (one negative) so that a channel mix-up or a sign error shows.
        Tensor slopes = layer.Parameters.Single().Value;
        backend.CopyFromHost<double>(shared ? [0.3] : Enumerable.Range(0, shape[0]).Select(c => 0.4 - (0.25 * c)).ToArray(), slopes);
        const int batch = 3;
        GradientChecker.Check(layer, backend, shape, batch, ActivationLayerTests.AwayFromZero(batch * (int)shape.ElementCount, 5));
    }

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 1)]
    public void OneSlopePerChannelOrOneSharedInitialisedToAQuarter(bool shared, int count)
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "prelu", shared ? "{\"shared\": true}" : "{\"shared\": false}", new Shape(3, 4, 4));
        Parameter slope = layer.Parameters.Single();
        Assert.Equal("prelu.weight", slope.Name);
        Assert.Equal(new Shape(count), slope.Value.Shape);
        Assert.All(LayerHarness.Download(slope.Value), v => Assert.Equal(0.25, v));
    }

    [Fact]
    public void KnownAnswersPerChannel()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "prelu", "{}", new Shape(2, 2));
        backend.CopyFromHost<double>([0.5, -1], layer.Parameters[0].Value);
        // One sample, channel 0 = [−2, 3], channel 1 = [−4, 1].
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 2, 2), [-2, 3, -4, 1]);
        Assert.Equal([-1, 3, 4, 1], LayerHarness.Download(layer.Forward(x, training: false)));
    }

    [Fact]
    public void KnownAnswersSharedWithTheInitialSlope()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "prelu", "{\"shared\": true}", new Shape(3));
        using Tensor x = LayerHarness.Upload(backend, new Shape(2, 3), [-4, 0, 2, 8, -0.4, -1]);
        Assert.Equal([-1, 0, 2, 8, -0.1, -0.25], LayerHarness.Download(layer.Forward(x, training: false)));
    }

    [Theory]
    [InlineData("{\"shared\": 1}", "'shared' is 1; expected true or false")]
    [InlineData("{\"slope\": 0.1}", "unknown argument(s) 'slope'")]
    public void RejectsBadArguments(string args, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("prelu", args));
        Assert.Contains(message, error.Message);
    }
}
