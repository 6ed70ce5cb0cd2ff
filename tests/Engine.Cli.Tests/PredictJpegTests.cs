using Engine.Imaging;

namespace Engine.Cli.Tests;

public sealed partial class PredictCommandTests
{
    [Fact]
    public void AJpegOfATestDigitGivesNearlyTheProbabilitiesOfItsIndex()
    {
        byte[] pixels = TestDigitBytes();
        string jpeg = TrainedCheckpoint.TempFile(".jpg");
        try
        {
            File.WriteAllBytes(jpeg, ImageEncoder.Encode(new DecodedImage(28, 28, 1, pixels), ImageFileFormat.Jpeg, 95));
            var (_, byIndex, _) = CliRunner.Run("predict", "--checkpoint", TrainedCheckpoint.Path, "--index", $"{Sample}", "--top", "10");
            // The built engine, so the JPEG is decoded by the engine's own copy of Skia's native library.
            var (code, byImage, error) = JpegFolderTests.RunEngine("predict", "--checkpoint", TrainedCheckpoint.Path, "--image", jpeg, "--top", "10");

            Assert.True(code == 0, error);
            Assert.Contains($"input       {jpeg} (28×28 grey)\n", byImage);
            var expected = Rows(byIndex).ToDictionary(r => r.Class, r => r.Probability);
            var actual = Rows(byImage);
            Assert.Equal(10, actual.Count);
            Assert.Equal(Rows(byIndex)[0].Class, actual[0].Class);
            // JPEG is lossy (a grey level or two per pixel), so the probabilities move a little, not much.
            Assert.All(actual, r => Assert.InRange(Math.Abs(r.Probability - expected[r.Class]), 0, 0.05));
            Assert.NotEqual(Rows(byIndex).Select(r => r.Probability), actual.Select(r => r.Probability)); // it really was a lossy copy
        }
        finally
        {
            File.Delete(jpeg);
        }
    }
}
