namespace Engine.Features.Classical.Tests;

/// <summary>The named kernels and the <c>fixed_conv2d</c> layer against hand-computed values.</summary>
public sealed class FixedFilterTests
{
    [Fact]
    public void Robinson_masks_are_the_sobel_mask_turned_in_45_degree_steps()
    {
        Assert.Equal([1, 2, 1, 0, 0, 0, -1, -2, -1], FixedKernels.Robinson("n").Weights);
        Assert.Equal([2, 1, 0, 1, 0, -1, 0, -1, -2], FixedKernels.Robinson("nw").Weights);
        Assert.Equal([1, 0, -1, 2, 0, -2, 1, 0, -1], FixedKernels.Robinson("w").Weights);
        Assert.Equal([0, 1, 2, -1, 0, 1, -2, -1, 0], FixedKernels.Robinson("ne").Weights);
        // East is Sobel x, south is Sobel y, and opposite directions are negatives.
        Assert.Equal(FixedKernels.SobelX.Weights, FixedKernels.Robinson("e").Weights);
        Assert.Equal(FixedKernels.SobelY.Weights, FixedKernels.Robinson("s").Weights);
        Assert.Equal(FixedKernels.Robinson("sw").Weights, FixedKernels.Robinson("ne").Weights.Select(w => -w).ToArray());
    }

    [Fact]
    public void Gaussian_sums_to_one_and_has_the_expected_centre()
    {
        FixedKernel g = FixedKernels.Gaussian(1.0, 3);
        // Weights e^0, e^-1/2 (4 edges), e^-1 (4 corners) over their sum.
        double total = 1 + (4 * Math.Exp(-0.5)) + (4 * Math.Exp(-1));
        Assert.Equal(1 / total, g.Weights[4], 6);
        Assert.Equal(Math.Exp(-1) / total, g.Weights[0], 6);
        Assert.Equal(1.0, g.Weights.Sum(w => (double)w), 6);
        Assert.Equal(7, FixedKernels.Named("gaussian", null, "test").Single().Rows);
    }

    [Fact]
    public void Sobel_x_on_a_small_image_with_same_padding()
    {
        using IBackend backend = Layers.CreateBackend();
        using ILayer layer = Layers.Build(backend, "fixed_conv2d", """{"kernels": "sobel-x"}""", new Shape(1, 3, 3));
        // Image rows 1 2 3 / 4 5 6 / 7 8 9, zero-padded.
        float[] y = Layers.Forward(backend, layer, new Shape(1, 1, 3, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // Centre: (3 − 1) + 2(6 − 4) + (9 − 7) = 8. Top-left: 2·2 + 5 (right column) − 0 = 9.
        // Top-right: −(2·2 + 5) = −9. Top-middle: 2(3 − 1) + (6 − 4) = 6.
        Assert.Equal(8f, y[4]);
        Assert.Equal(9f, y[0]);
        Assert.Equal(-9f, y[2]);
        Assert.Equal(6f, y[1]);
    }

    [Fact]
    public void Each_kernel_is_applied_to_each_channel_channel_major()
    {
        using IBackend backend = Layers.CreateBackend();
        using ILayer layer = Layers.Build(backend, "fixed_conv2d", """{"kernels": ["identity", {"weights": [[0, 0, 0], [0, 2, 0], [0, 0, 0]]}], "padding": "valid"}""", new Shape(2, 3, 3));
        Assert.Equal(new Shape(4, 1, 1), layer.InferOutputShape(new Shape(2, 3, 3)));
        // Channel 0 centre 5, channel 1 centre 50: outputs c0·identity, c0·2, c1·identity, c1·2.
        float[] input = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        Assert.Equal([5f, 10f, 50f, 100f], Layers.Forward(backend, layer, new Shape(1, 2, 3, 3), input));
        Assert.Empty(layer.Parameters);
    }

    [Fact]
    public void Kernels_of_different_odd_sizes_are_centred_in_the_largest()
    {
        using IBackend backend = Layers.CreateBackend();
        using ILayer layer = Layers.Build(backend, "fixed_conv2d", """{"kernels": ["identity", {"name": "box-blur", "size": 5}], "padding": "valid"}""", new Shape(1, 5, 5));
        float[] input = Enumerable.Range(1, 25).Select(i => (float)i).ToArray();
        float[] y = Layers.Forward(backend, layer, new Shape(1, 1, 5, 5), input);
        // The padded identity picks the centre (13); the 5×5 box averages 1…25 (13).
        Assert.Equal(13f, y[0]);
        Assert.Equal(13f, y[1], 4);
    }

    [Fact]
    public void Backward_is_the_adjoint_of_forward()
    {
        using IBackend backend = Layers.CreateBackend();
        using ILayer layer = Layers.Build(backend, "fixed_conv2d", """{"kernels": ["robinson-ne", "sharpen"]}""", new Shape(1, 4, 4), DataType.Float64);
        double[] x = Enumerable.Range(0, 16).Select(i => Math.Sin(i)).ToArray();
        double[] dy = Enumerable.Range(0, 32).Select(i => Math.Cos(3 * i)).ToArray();
        using Tensor input = backend.Allocate(new Shape(1, 1, 4, 4), DataType.Float64);
        backend.CopyFromHost<double>(x, input);
        var y = new double[32];
        backend.CopyToHost<double>(layer.Forward(input, training: true), y);
        using Tensor gradient = backend.Allocate(new Shape(1, 2, 4, 4), DataType.Float64);
        backend.CopyFromHost<double>(dy, gradient);
        var dx = new double[16];
        backend.CopyToHost<double>(layer.Backward(gradient), dx);
        // ⟨dy, A x⟩ = ⟨Aᵀ dy, x⟩ for the linear map A.
        Assert.Equal(y.Zip(dy, (a, b) => a * b).Sum(), dx.Zip(x, (a, b) => a * b).Sum(), 10);
    }

    [Theory]
    [InlineData("""{"kernels": "prewitt"}""", "unknown kernel 'prewitt'")]
    [InlineData("""{"kernels": [{"weights": [[1, 2], [3]]}]}""", "\"weights\" must be a non-empty rectangular list")]
    [InlineData("""{"kernels": ["identity", {"weights": [[1, 2], [3, 4]]}]}""", "kernels of different sizes must all be odd")]
    [InlineData("""{"kernels": [{"name": "gaussian", "sigma": -1}]}""", "sigma must be a number > 0, got -1")]
    [InlineData("""{"kernels": "edge", "padding": "full"}""", "padding must be 'same' or 'valid', got 'full'")]
    public void Bad_kernels_are_refused_naming_the_value(string arguments, string message)
    {
        using IBackend backend = Layers.CreateBackend();
        var e = Assert.Throws<ConfigurationException>(() => Layers.Build(backend, "fixed_conv2d", arguments, new Shape(1, 5, 5)));
        Assert.Contains(message, e.Message);
    }
}
