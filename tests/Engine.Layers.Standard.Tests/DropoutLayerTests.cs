namespace Engine.Layers.Standard.Tests;

/// <summary>
/// A random mask that changes every step does not suit finite differences, so dropout is checked
/// against its definition instead: y = x·mask, dx = dy·mask for the mask of that forward pass.
/// </summary>
public sealed class DropoutLayerTests
{
    [Fact]
    public void BackwardMultipliesByTheMaskOfTheForwardPass()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(4, 5);
        using ILayer layer = LayerHarness.Build(backend, "dropout", "{\"rate\": 0.3}", shape);
        double[] xs = LayerHarness.Random(40, 1), dys = LayerHarness.Random(40, 2);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(2), xs);
        using Tensor dy = LayerHarness.Upload(backend, shape.WithBatch(2), dys);
        double[] y = LayerHarness.Download(layer.Forward(x, training: true));
        double[] mask = LayerHarness.Download(((DropoutLayer)layer).Mask!);
        double[] dx = LayerHarness.Download(layer.Backward(dy));
        for (int i = 0; i < xs.Length; i++)
        {
            Assert.Equal(xs[i] * mask[i], y[i]);
            Assert.Equal(dys[i] * mask[i], dx[i]);
        }
    }

    [Fact]
    public void KeptFractionIsOneMinusRateAndKeptValuesAreScaled()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(100, 100);
        const double rate = 0.25;
        using ILayer layer = LayerHarness.Build(backend, "dropout", $"{{\"rate\": {rate}}}", shape);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(2), Enumerable.Repeat(3.0, 20_000).ToArray());
        double[] y = LayerHarness.Download(layer.Forward(x, training: true));
        Assert.All(y, v => Assert.True(v == 0 || v == 3 / (1 - rate), $"{v} is neither dropped nor 3/(1 − p)"));
        double kept = y.Count(v => v != 0) / (double)y.Length;
        // Binomial standard deviation √(p(1 − p)/n) ≈ 0.003: five of them.
        Assert.InRange(kept, 1 - rate - 0.015, 1 - rate + 0.015);
    }

    [Fact]
    public void InferenceReturnsTheInputItself()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "dropout", "{\"rate\": 0.5}", new Shape(3));
        using Tensor x = LayerHarness.Upload(backend, new Shape(2, 3), [1, 2, 3, 4, 5, 6]);
        Assert.Same(x, layer.Forward(x, training: false));
    }

    [Fact]
    public void SameSeedGivesTheSameMasksAndEachStepANewOne()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(64);
        using ILayer first = LayerHarness.Build(backend, "dropout", "{}", shape, seed: 42);
        using ILayer second = LayerHarness.Build(backend, "dropout", "{}", shape, seed: 42);
        using ILayer other = LayerHarness.Build(backend, "dropout", "{}", shape, seed: 43);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(2), Enumerable.Repeat(1.0, 128).ToArray());
        double[] a1 = LayerHarness.Download(first.Forward(x, training: true));
        double[] a2 = LayerHarness.Download(first.Forward(x, training: true));
        double[] b1 = LayerHarness.Download(second.Forward(x, training: true));
        double[] b2 = LayerHarness.Download(second.Forward(x, training: true));
        double[] c1 = LayerHarness.Download(other.Forward(x, training: true));
        Assert.Equal(a1, b1);
        Assert.Equal(a2, b2);
        Assert.NotEqual(a1, a2);
        Assert.NotEqual(a1, c1);
    }

    [Fact]
    public void MaskFollowsTheDocumentedRule()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        var shape = new Shape(50);
        const ulong seed = 9;
        using ILayer layer = LayerHarness.Build(backend, "dropout", "{\"rate\": 0.4}", shape, seed: seed);
        using Tensor x = LayerHarness.Upload(backend, shape.WithBatch(1), Enumerable.Repeat(1.0, 50).ToArray());
        layer.Forward(x, training: true); // step 0
        layer.Forward(x, training: true); // step 1
        double[] mask = LayerHarness.Download(((DropoutLayer)layer).Mask!);
        ulong stepSeed = CounterRandom.Derive(seed, 1);
        for (int i = 0; i < mask.Length; i++)
        {
            Assert.Equal(CounterRandom.Uniform(stepSeed, (ulong)i) >= 0.4 ? 1 / 0.6 : 0, mask[i]);
        }
    }

    [Fact]
    public void RateZeroPassesEverythingThrough()
    {
        using IBackend backend = LayerHarness.CreateBackend();
        using ILayer layer = LayerHarness.Build(backend, "dropout", "{\"rate\": 0}", new Shape(3));
        using Tensor x = LayerHarness.Upload(backend, new Shape(1, 3), [1, 2, 3]);
        using Tensor dy = LayerHarness.Upload(backend, new Shape(1, 3), [4, 5, 6]);
        Assert.Same(x, layer.Forward(x, training: true));
        Assert.Same(dy, layer.Backward(dy));
    }

    [Theory]
    [InlineData("{\"rate\": 1}", "'rate' is 1")]
    [InlineData("{\"rate\": -0.1}", "'rate' is -0.1")]
    public void RatesOutsideZeroToOneAreRefused(string args, string detail)
    {
        var e = Assert.Throws<ConfigurationException>(() => LayerHarness.Create("dropout", args));
        Assert.Contains("layer 'dropout' (dropout)", e.Message);
        Assert.Contains(detail, e.Message);
    }
}
