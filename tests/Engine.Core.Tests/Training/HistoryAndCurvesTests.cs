using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Engine.Core.Plotting;

namespace Engine.Core.Tests.Training;

public sealed class HistoryAndCurvesTests
{
    private static TrainingHistory Sample()
    {
        var history = new TrainingHistory();
        double[] loss = [2.1, 1.2, 0.8, 0.6], val = [1.9, 1.1, 0.9, 0.95];
        for (int e = 1; e <= 4; e++)
        {
            history.Add(new EpochResult(e, loss[e - 1], 0.5 + 0.1 * e, double.NaN, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.5 * e), 1000)
            {
                ValidationLoss = val[e - 1],
                ValidationAccuracy = 0.45 + 0.1 * e,
                ValidationTop5 = 0.9,
                LearningRate = 0.1,
                GlobalStep = 10 * e,
            });
        }
        return history;
    }

    [Fact]
    public void CsvHasTheHeaderAndOneRowPerEpochWithAbsentMetricsEmpty()
    {
        string[] lines = Sample().ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal("epoch,train_loss,train_accuracy,val_loss,val_accuracy,val_top5,test_accuracy,learning_rate,global_step,train_seconds,elapsed_seconds,images_per_second", lines[0]);
        Assert.Equal("2,1.2,0.7,1.1,0.65,0.9,,0.1,20,2,5,1000", lines[2]);
    }

    [Fact]
    public void JsonRoundTripsAndWritesAbsentMetricsAsNull()
    {
        using var folder = new TrainingFixtures.TempFolder();
        string file = folder.File("history.json");
        Sample().WriteJson(file);
        var array = (JsonArray)JsonNode.Parse(File.ReadAllText(file))!;
        Assert.Null(array[0]!["test_accuracy"]);
        Assert.Equal(0.95, array[3]!["val_loss"]!.GetValue<double>());
        TrainingHistory back = TrainingHistory.FromJson(array);
        Assert.Equal(Sample().ToCsv(), back.ToCsv());
    }

    [Fact]
    public void SvgIsWellFormedWithTwoPanelsLegendAndTickLabels()
    {
        XDocument svg = XDocument.Parse(TrainingCurves.ToSvg(Sample()));
        XNamespace ns = "http://www.w3.org/2000/svg";
        Assert.Equal(ns + "svg", svg.Root!.Name);
        string[] texts = svg.Descendants(ns + "text").Select(t => t.Value).ToArray();
        Assert.Contains("Loss", texts);
        Assert.Contains("Accuracy", texts);
        Assert.Equal(2, texts.Count(t => t == "validation")); // one legend entry per panel
        Assert.DoesNotContain("test", texts); // no test accuracy was measured
        Assert.Contains("4", texts); // last epoch tick
        Assert.Contains("2.5", texts); // loss axis 0.5 … 2.5 in steps of 0.5
        // Train loss: 3 segments in blue in the loss panel (+ the legend sample), train accuracy likewise.
        Assert.Equal(8, svg.Descendants(ns + "line").Count(l => (string?)l.Attribute("stroke") == "#1f77b4"));
    }

    [Fact]
    public void PngHasTheSignatureTheRequestedSizeAndDecompressesToWholeRows()
    {
        byte[] png = TrainingCurves.ToPng(Sample(), 640, 300);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        Assert.Equal(640, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)));
        Assert.Equal(300, BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
        Assert.Equal(8, png[24]); // bit depth
        Assert.Equal(2, png[25]); // RGB

        // Inflate IDAT: 300 rows of a filter byte and 640 RGB pixels.
        int at = 8;
        var idat = new MemoryStream();
        while (at < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            if (type == "IDAT")
            {
                idat.Write(png, at + 8, length);
            }
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress))
        {
            z.CopyTo(inflated);
        }
        byte[] raw = inflated.ToArray();
        Assert.Equal(300 * (1 + 640 * 3), raw.Length);
        // The background is white and the training line's blue appears.
        Assert.Equal(new byte[] { 255, 255, 255 }, raw[1..4]);
        bool blue = false;
        for (int i = 0; i + 2 < raw.Length && !blue; i++)
        {
            blue = raw[i] == 0x1f && raw[i + 1] == 0x77 && raw[i + 2] == 0xb4;
        }
        Assert.True(blue);
    }

    [Fact]
    public void AnEmptyHistoryStillDrawsAxes()
    {
        Assert.NotNull(XDocument.Parse(TrainingCurves.ToSvg(new TrainingHistory())).Root);
        Assert.Equal(0x89, TrainingCurves.ToPng(new TrainingHistory(), 200, 100)[0]);
    }
}
