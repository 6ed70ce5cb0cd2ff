using System.Text.Json.Nodes;

namespace Engine.Core.Tests.Training;

public sealed class HistoryFilesTests
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
}
