using Engine.Core;
using Engine.Host;
using Engine.Imaging;
using Engine.Tests;
using Engine.Visualization;

namespace Engine.Cli.Tests;

/// <summary>
/// <c>engine visualize</c>: the pixels of the pictures it writes are read back and mapped to the
/// checkpoint's weights and to the layer's output computed here with the core API.
/// </summary>
public sealed class VisualizeCommandTests
{
    [Fact]
    public void Filters_of_a_deeper_layer_are_one_grey_tile_per_input_channel_scaled_per_filter()
    {
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", "conv2", "--output", png, "--zoom", "2");
        Assert.True(code == 0, error);
        Assert.Contains("3 of 3 filters (rows) × 4 of 4 input channels (columns), 2 px per weight", output);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ConvCheckpoint.Load(host, backend);
        float[] w = ConvCheckpoint.Values(backend, network.Parameters.Single(p => p.Name == "conv2.weight"));
        DecodedImage image = ImageDecoder.Load(png);
        // 4 columns of 3×2-pixel tiles with 1-pixel gaps: 1 + 4·7 wide, 1 + 3·7 high, then the colour bar.
        Assert.Equal((29 + ScaleBar.PanelWidth, ScaleBar.MinimumHeight), (image.Width, image.Height));
        for (int f = 0; f < 3; f++)
        {
            double m = w.AsSpan(f * 36, 36).ToArray().Max(v => Math.Abs(v));
            for (int c = 0; c < 4; c++)
            {
                for (int y = 0; y < 3; y++)
                {
                    for (int x = 0; x < 3; x++)
                    {
                        double v = w[(f * 36) + (c * 9) + (y * 3) + x];
                        int expected = (int)Math.Round(127.5 + (127.5 * v / m), MidpointRounding.AwayFromZero);
                        // Both pixels of the 2×2 block, top-left and bottom-right.
                        int px = 1 + (c * 7) + (x * 2), py = 1 + (f * 7) + (y * 2);
                        Assert.Equal(expected, image[px, py, 0]);
                        Assert.Equal(expected, image[px + 1, py + 1, 2]);
                    }
                }
            }
        }
        // The gap between tiles is white.
        Assert.Equal(255, image[0, 0, 0]);
    }

    [Fact]
    public void Filters_over_three_channels_are_drawn_in_colour()
    {
        string model = TrainedCheckpoint.TempFile(".json");
        File.WriteAllText(model, """{"name": "rgb", "layers": [{"type": "conv2d", "name": "c", "filters": 5, "kernel": 2}, {"type": "flatten"}]}""");
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--model", model, "--input", "3x6x6", "--layer", "c", "--output", png, "--zoom", "1", "--seed", "4");
        Assert.True(code == 0, error);
        Assert.Contains("5 of 5 filters in colour", output);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = host.BuildNetwork(host.ResolveModel(model), backend, new Shape(3, 6, 6), seed: 4);
        float[] w = ConvCheckpoint.Values(backend, network.Parameters.Single(p => p.Name == "c.weight"));
        DecodedImage image = ImageDecoder.Load(png);
        // 5 filters in a 3×2 grid of 2×2 tiles (10×7), then the colour bar.
        Assert.Equal((10 + ScaleBar.PanelWidth, ScaleBar.MinimumHeight), (image.Width, image.Height));
        int checkedPixels = 0;
        for (int f = 0; f < 5; f++)
        {
            double m = w.AsSpan(f * 12, 12).ToArray().Max(v => Math.Abs(v));
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 2; x++)
                {
                    int px = 1 + ((f % 3) * 3) + x, py = 1 + ((f / 3) * 3) + y;
                    for (int c = 0; c < 3; c++)
                    {
                        double v = w[(f * 12) + (c * 4) + (y * 2) + x];
                        Assert.Equal((int)Math.Round(127.5 + (127.5 * v / m), MidpointRounding.AwayFromZero), image[px, py, c]);
                        checkedPixels++;
                    }
                }
            }
        }
        Assert.Equal(60, checkedPixels);
    }

    [Fact]
    public void The_colour_bar_runs_from_white_to_black_and_with_a_shared_scale_is_labelled_with_its_value()
    {
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", "conv1", "--output", png, "--zoom", "1", "--shared-scale");
        Assert.True(code == 0, error);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ConvCheckpoint.Load(host, backend);
        float[] w = ConvCheckpoint.Values(backend, network.Parameters.Single(p => p.Name == "conv1.weight"));
        double m = w.Max(v => Math.Abs(v));
        Assert.Contains(FormattableString.Invariant($"one scale for all filters: 0 = mid grey (128), +{m:G4} = 255, −{m:G4} = 0"), output);
        DecodedImage image = ImageDecoder.Load(png);
        // Four 3×3 filters in a 2×2 grid at 1 px per weight, each on the one scale m.
        for (int f = 0; f < 4; f++)
        {
            for (int i = 0; i < 9; i++)
            {
                int px = 1 + ((f % 2) * 4) + (i % 3), py = 1 + ((f / 2) * 4) + (i / 3);
                Assert.Equal((int)Math.Round(127.5 + (127.5 * w[(f * 9) + i] / m), MidpointRounding.AwayFromZero), image[px, py, 0]);
            }
        }

        ScaleBarLayout bar = ScaleBar.Layout(9, 9, captionLines: 1);
        Assert.Equal((bar.Width, bar.Height), (image.Width, image.Height));
        int previous = 256;
        for (int y = bar.BarTop; y <= bar.BarBottom; y++)
        {
            // Grey, the same across the bar, and never lighter than the row above.
            int v = image[bar.BarLeft + (ScaleBar.BarWidth / 2), y, 0];
            Assert.Equal(v, image[bar.BarLeft, y, 1]);
            Assert.Equal(v, image[bar.BarLeft + ScaleBar.BarWidth - 1, y, 2]);
            Assert.True(v <= previous, $"row {y} ({v}) is lighter than the row above ({previous})");
            previous = v;
        }
        Assert.Equal(255, image[bar.BarLeft, bar.BarTop, 0]);
        Assert.Equal(0, image[bar.BarLeft, bar.BarBottom, 0]);
        // The middle row is mid grey: weight 0.
        Assert.InRange(image[bar.BarLeft, (bar.BarTop + bar.BarBottom) / 2, 0], 126, 129);

        // Labels ("+m", "0", "−m") right of the bar at its top, middle and bottom; nothing between them.
        bool Ink(int y0, int y1)
        {
            for (int y = Math.Max(0, y0); y <= Math.Min(image.Height - 1, y1); y++)
            {
                for (int x = bar.BarLeft + ScaleBar.BarWidth + 2; x < image.Width; x++)
                {
                    if (image[x, y, 0] < 128)
                    {
                        return true;
                    }
                }
            }
            return false;
        }
        int middle = (bar.BarTop + bar.BarBottom) / 2, quarter = (bar.BarBottom - bar.BarTop) / 4;
        Assert.True(Ink(bar.BarTop - 6, bar.BarTop + 6), "no label at the top of the bar");
        Assert.True(Ink(middle - 6, middle + 6), "no label at the middle of the bar");
        Assert.True(Ink(bar.BarBottom - 6, bar.BarBottom + 6), "no label at the bottom of the bar");
        Assert.False(Ink(bar.BarTop + quarter - 4, bar.BarTop + quarter + 4), "ink between the labels");
    }

    [Fact]
    public void The_colour_bar_level_falls_from_255_to_0_one_row_at_a_time()
    {
        byte[] levels = Enumerable.Range(20, 101).Select(y => ScaleBar.Level(y, 20, 120)).ToArray();
        Assert.Equal(255, levels[0]);
        Assert.Equal(0, levels[^1]);
        Assert.Equal(128, levels[50]); // 127.5 rounds away from zero, as the filters' 0 does
        Assert.All(levels.Zip(levels.Skip(1)), p => Assert.InRange(p.First - p.Second, 2, 3));
    }

    [Fact]
    public void Fixed_sobel_kernels_are_drawn_as_filters_whose_pixels_are_the_sobel_weights()
    {
        string model = TrainedCheckpoint.TempFile(".json");
        File.WriteAllText(model, """{"name": "edges", "layers": [{"type": "fixed_conv2d", "name": "edges", "kernels": ["sobel-x", "sobel-y", "identity"]}]}""");
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--model", model, "--input", "3x8x8", "--layer", "edges", "--output", png, "--zoom", "1");
        Assert.True(code == 0, error);
        // One tile per kernel, not per input channel: the kernels are the same on every channel.
        Assert.Contains("layer      edges (fixed_conv2d), fixed kernels 3×1×3×3", output);
        Assert.Contains("3 of 3 filters of one channel in a grid, 1 px per weight", output);

        // Written out here, not taken from the plugin.
        double[][] kernels =
        [
            [-1, 0, 1, -2, 0, 2, -1, 0, 1],
            [-1, -2, -1, 0, 0, 0, 1, 2, 1],
            [0, 0, 0, 0, 1, 0, 0, 0, 0],
        ];
        DecodedImage image = ImageDecoder.Load(png);
        // Three 3×3 tiles in a 2×2 grid: kernel k at column k % 2, row k / 2.
        for (int k = 0; k < 3; k++)
        {
            double m = kernels[k].Max(Math.Abs);
            for (int i = 0; i < 9; i++)
            {
                int px = 1 + ((k % 2) * 4) + (i % 3), py = 1 + ((k / 2) * 4) + (i / 3);
                Assert.Equal((int)Math.Round(127.5 + (127.5 * kernels[k][i] / m), MidpointRounding.AwayFromZero), image[px, py, 0]);
            }
        }
        // Sobel x in levels: −2 black, −1 64, 0 mid grey, 1 191, 2 white.
        Assert.Equal([64, 128, 191, 0, 128, 255], new[] { image[1, 1, 1], image[2, 1, 1], image[3, 1, 1], image[1, 2, 1], image[2, 2, 1], image[3, 2, 1] });
    }

    [Fact]
    public void Feature_maps_equal_the_layer_output_for_the_test_sample()
    {
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", "relu1", "--feature-maps", "--index", "3", "--output", png, "--zoom", "1");
        Assert.True(code == 0, error);
        Assert.Contains("input      test sample 3 (label 0)", output);
        Assert.Contains("4 of 4 maps, 1 px per activation", output);

        using EngineHost host = TrainedCheckpoint.CreateHost();
        using IBackend backend = host.CreateBackend("cpu");
        using Network network = ConvCheckpoint.Load(host, backend, layers: 2);
        ImageDataset test = host.LoadDataset("mnist", RepoPaths.Mnist).Test;
        var sample = new float[784];
        test.CopySample(3, sample);
        float[] maps = PredictCommand.Logits(network, sample);
        Assert.Equal(4 * 26 * 26, maps.Length);
        DecodedImage image = ImageDecoder.Load(png);
        Assert.Equal((55 + ScaleBar.PanelWidth, ScaleBar.MinimumHeight), (image.Width, image.Height));
        for (int c = 0; c < 4; c++)
        {
            float[] map = maps.AsSpan(c * 676, 676).ToArray();
            float min = map.Min(), max = map.Max();
            Assert.True(max > min, $"map {c} is constant");
            for (int i = 0; i < 676; i++)
            {
                int px = 1 + ((c % 2) * 27) + (i % 26), py = 1 + ((c / 2) * 27) + (i / 26);
                int expected = (int)Math.Round(255 * (map[i] - min) / (max - min), MidpointRounding.AwayFromZero);
                Assert.Equal(expected, image[px, py, 1]);
            }
        }
    }

    [Fact]
    public void An_image_of_another_size_is_resized_and_said()
    {
        string input = TrainedCheckpoint.TempFile(".png");
        var grey = new byte[40 * 30];
        for (int i = 0; i < grey.Length; i++)
        {
            grey[i] = (byte)(i * 7);
        }
        File.WriteAllBytes(input, ImageEncoder.Encode(new DecodedImage(40, 30, 1, grey)));
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", "conv2", "--feature-maps", "--image", input, "--output", png);
        Assert.True(code == 0, error);
        Assert.Contains("resized    40×30 → 28×28 (bilinear), the model's input size", output);
        Assert.Contains("layer      conv2 (conv2d), output 3×11×11", output);
    }

    [Fact]
    public void A_layer_list_of_convolutions_names_fixed_filter_layers_too()
    {
        string model = TrainedCheckpoint.TempFile(".json");
        File.WriteAllText(model, """{"name": "mixed", "layers": [{"type": "fixed_conv2d", "name": "edges", "kernels": "sobel"}, {"type": "conv2d", "name": "learned", "filters": 2, "kernel": 3}, {"type": "relu", "name": "act"}]}""");
        (int code, _, string error) = CliRunner.Run("visualize", "--model", model, "--input", "1x8x8", "--layer", "act", "--output", TrainedCheckpoint.TempFile(".png"));
        Assert.Equal(1, code);
        Assert.Equal("error: layer 'act' is a relu, not a 2-D convolution; the convolutions of 'mixed': edges, learned", error.Trim());
    }

    [Theory]
    [InlineData("classifier", "error: layer 'classifier' is a dense, not a 2-D convolution; the convolutions of 'tiny-conv': conv1, conv2")]
    [InlineData("conv9", "error: model 'tiny-conv' has no layer 'conv9'; its convolutions: conv1, conv2")]
    public void A_layer_that_is_not_a_convolution_is_refused_listing_the_convolutions(string layer, string message)
    {
        (int code, _, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", layer, "--output", TrainedCheckpoint.TempFile(".png"));
        Assert.Equal(1, code);
        Assert.Equal(message, error.Trim());
    }

    [Fact]
    public void Feature_maps_need_a_spatial_output()
    {
        (int code, _, string error) = CliRunner.Run("visualize", "--checkpoint", ConvCheckpoint.Path, "--layer", "classifier", "--feature-maps", "--index", "0", "--output", TrainedCheckpoint.TempFile(".png"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: layer 'classifier' outputs 10 per sample; feature maps need channels × height × width", error.Trim());
    }

    [Fact]
    public void A_zoo_model_shows_its_initial_first_layer_filters()
    {
        string png = TrainedCheckpoint.TempFile(".png");
        (int code, string output, string error) = CliRunner.Run("visualize", "--model", "resnet20", "--layer", "conv1", "--output", png);
        Assert.True(code == 0, error);
        Assert.Contains("16 of 16 filters in colour", output);
        // 3×3 filters at 10 px per weight in a 4×4 grid: 1 + 4·31 pixels a side, then the colour bar.
        Assert.Contains("10 px per weight", output);
        Assert.Equal((125 + ScaleBar.PanelWidth, ScaleBar.MinimumHeight), (ImageDecoder.Load(png).Width, ImageDecoder.Load(png).Height));
    }

    [Fact]
    public void Fixed_filter_responses_of_the_readme_example_are_the_sobel_response_computed_here()
    {
        // README: engine visualize --model docs/edges.json --layer edges --feature-maps --dataset mnist --index 0 --output edges.png
        string png = TrainedCheckpoint.TempFile(".png");
        string model = Path.Combine(RepoPaths.Root, "docs", "edges.json");
        (int code, string output, string error) = CliRunner.Run("visualize", "--model", model, "--layer", "edges", "--feature-maps", "--dataset", "mnist", "--data", RepoPaths.Mnist, "--index", "0", "--output", png);
        Assert.True(code == 0, error);
        // sobel (x, y), the eight Robinson masks, a Gaussian and sharpen: 12 maps of 28×28 at 2 px each.
        Assert.Contains("12 of 12 maps, 2 px per activation", output);

        var digit = new float[784];
        using (EngineHost host = TrainedCheckpoint.CreateHost())
        {
            host.LoadDataset("mnist", RepoPaths.Mnist).Test.CopySample(0, digit);
        }
        float Pixel(int y, int x) => y is < 0 or > 27 || x is < 0 or > 27 ? 0f : digit[(y * 28) + x];
        // Map 0 is Sobel x with zero padding: (right column − left column), the middle row twice.
        var sobel = new double[784];
        for (int y = 0; y < 28; y++)
        {
            for (int x = 0; x < 28; x++)
            {
                sobel[(y * 28) + x] = Pixel(y - 1, x + 1) - Pixel(y - 1, x - 1) + (2 * (Pixel(y, x + 1) - Pixel(y, x - 1))) + Pixel(y + 1, x + 1) - Pixel(y + 1, x - 1);
            }
        }
        double min = sobel.Min(), max = sobel.Max();
        DecodedImage image = ImageDecoder.Load(png);
        for (int i = 0; i < 784; i++)
        {
            int expected = (int)Math.Round(255 * (sobel[i] - min) / (max - min), MidpointRounding.AwayFromZero);
            // Float rounding in the convolution may move a level by one.
            Assert.InRange(image[1 + (2 * (i % 28)), 1 + (2 * (i / 28)), 0], expected - 1, expected + 1);
        }
    }
}
