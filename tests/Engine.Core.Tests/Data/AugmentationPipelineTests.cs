namespace Engine.Core.Tests.Data;

public sealed class AugmentationPipelineTests
{
    private const string CifarSpec = "flip,crop=4,jitter=0.2,rotate=15,normalize=0.4914/0.4822/0.4465:0.247/0.243/0.261";

    [Fact]
    public void ParsesTheCompactSpecAndWritesItBack()
    {
        var pipeline = AugmentationPipeline.Parse(CifarSpec);

        Assert.Equal(["flip", "crop", "jitter", "rotate", "normalize"], pipeline.Transforms.Select(t => t.Name));
        Assert.Equal(4, ((RandomCrop)pipeline.Transforms[1]).Padding);
        Assert.Equal(0.2, ((ColorJitter)pipeline.Transforms[2]).Saturation);
        Assert.Equal(0.243f, ((Normalization)pipeline.Transforms[4]).Std[1]);
        Assert.Equal(pipeline.ToString(), AugmentationPipeline.Parse(pipeline.ToString()).ToString());
    }

    [Fact]
    public void ParsesMultiValueArguments()
    {
        var pipeline = AugmentationPipeline.Parse("resized-crop=0.5/1:0.8/1.25, jitter=0.1:0.2:0.3, translate=0.1/0.2, flip=0.25");
        var crop = (RandomResizedCrop)pipeline.Transforms[0];
        Assert.Equal((0.5, 1, 0.8, 1.25), (crop.ScaleMin, crop.ScaleMax, crop.RatioMin, crop.RatioMax));
        var jitter = (ColorJitter)pipeline.Transforms[1];
        Assert.Equal((0.1, 0.2, 0.3), (jitter.Brightness, jitter.Contrast, jitter.Saturation));
        var shift = (RandomTranslation)pipeline.Transforms[2];
        Assert.Equal((0.1, 0.2), (shift.FractionX, shift.FractionY));
        Assert.Equal(0.25, ((HorizontalFlip)pipeline.Transforms[3]).Probability);
    }

    [Fact]
    public void EmptySpecIsNoPipeline() => Assert.Empty(AugmentationPipeline.Parse("  ").Transforms);

    [Fact]
    public void JsonArraysTakeObjectsAndSpecStrings()
    {
        var pipeline = AugmentationPipeline.FromJson("""
            [{"type": "crop", "padding": 4}, "flip", {"type": "normalize", "mean": [0.5, 0.4, 0.3], "std": 0.25}]
            """);
        Assert.Equal("crop=4,flip,normalize=0.5/0.4/0.3:0.25", pipeline.ToString());
    }

    [Fact]
    public void EvaluationSideKeepsOnlyNormalisation()
    {
        var evaluation = AugmentationPipeline.Parse(CifarSpec).ForEvaluation();
        Assert.Equal("normalize=0.4914/0.4822/0.4465:0.247/0.243/0.261", evaluation.ToString());
        Assert.False(evaluation.IsRandom);
    }

    [Theory]
    [InlineData("flip,blur=2", "unknown augmentation 'blur'", "known: flip, crop")]
    [InlineData("crop=4:5", "'crop'", "at most 1 argument")]
    [InlineData("rotate=abc", "'rotate'", "'abc' is not a number")]
    [InlineData("crop", "'crop'", "'padding' is required")]
    [InlineData("crop=2.5", "'crop'", "whole number")]
    [InlineData("flip=1.5", "'flip'", "outside 0 to 1")]
    [InlineData("normalize=0.5/0.5:0.2/0.2/0.2", "'normalize'", "2 mean value(s) and 3 std")]
    [InlineData("normalize=0.5:0", "'normalize'", "must be positive")]
    [InlineData("resized-crop=0.5", "'resized-crop'", "'scale' takes 2 value(s), got 1")]
    [InlineData("flip,,crop=2", "empty augmentation item")]
    [InlineData("normalize=0.5:0.2,jitter=0.1", "jitter works on [0, 1] values")]
    public void SpecErrorsNameTheProblem(string spec, params string[] keywords)
    {
        var error = Assert.Throws<ConfigurationException>(() => AugmentationPipeline.Parse(spec));
        foreach (string keyword in keywords)
        {
            Assert.Contains(keyword, error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""[{"type": "crop", "pad": 4}]""", "unknown argument 'pad'", "arguments: padding")]
    [InlineData("""[{"type": "warp"}]""", "unknown augmentation 'warp'")]
    [InlineData("""[{"padding": 4}]""", "no \"type\"")]
    [InlineData("""{"type": "flip"}""", "must be an array")]
    [InlineData("""[{"type": "rotate", "degrees": "ten"}]""", "'degrees' must be a number")]
    [InlineData("""[{"type": "flip"}""", "malformed")]
    public void JsonErrorsNameTheProblem(string json, params string[] keywords)
    {
        var error = Assert.Throws<ConfigurationException>(() => AugmentationPipeline.FromJson(json));
        foreach (string keyword in keywords)
        {
            Assert.Contains(keyword, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void NormalisationChannelsAreCheckedAgainstTheData()
    {
        var data = ArrayDataset.Ramp(new Shape(1, 2, 2), 1);
        var error = Assert.Throws<ConfigurationException>(() =>
            new AugmentedDataset(data, AugmentationPipeline.Parse("normalize=0.1/0.2/0.3:0.5"), 1));
        Assert.Contains("1 channel(s)", error.Message, StringComparison.Ordinal);
    }
}
