using System.Text.Json.Nodes;
using Engine.Core;
using Engine.Visualization;

namespace Engine.Cli.Dashboard;

/// <summary>
/// Turns a training run into dashboard events: progress (loss, accuracy, learning rate, images/s,
/// ETA), each epoch's metrics, the first convolution's filters and the test confusion matrix after
/// each epoch.
/// </summary>
internal sealed class DashboardFeed(DashboardServer server, Network network, ImageDataset? test, int epochs)
{
    /// <summary>A progress report.</summary>
    public void OnStep(StepReport r) => server.Publish(new JsonObject
    {
        ["type"] = "step",
        ["epoch"] = r.Epoch,
        ["epochs"] = r.Epochs,
        ["step"] = r.Step,
        ["steps"] = r.StepsPerEpoch,
        ["loss"] = Finite(r.Loss),
        ["accuracy"] = Finite(r.Accuracy),
        ["lr"] = Finite(r.LearningRate),
        ["imagesPerSecond"] = Finite(r.ImagesPerSecond),
        ["etaSeconds"] = Finite(r.Remaining.TotalSeconds),
    }.ToJsonString());

    /// <summary>An epoch's end: its metrics, then the filters and the confusion matrix as they are now.</summary>
    public void OnEpoch(EpochResult r)
    {
        server.Publish(new JsonObject
        {
            ["type"] = "epoch",
            ["epoch"] = r.Epoch,
            ["epochs"] = epochs,
            ["trainLoss"] = Finite(r.TrainLoss),
            ["trainAccuracy"] = Finite(r.TrainAccuracy),
            ["validationLoss"] = Finite(r.ValidationLoss),
            ["validationAccuracy"] = Finite(r.ValidationAccuracy),
            ["testAccuracy"] = Finite(r.TestAccuracy),
            ["lr"] = Finite(r.LearningRate),
            ["imagesPerSecond"] = Finite(r.ImagesPerSecond),
            ["elapsedSeconds"] = r.Elapsed.TotalSeconds,
        }.ToJsonString());
        if (network.Layers.Select(VisualizeCommand.ConvolutionWeight).FirstOrDefault(w => w is not null) is Parameter weight)
        {
            var values = new float[weight.Value.ElementCount];
            weight.Value.Backend.CopyToHost<float>(weight.Value, values);
            server.SetFilters(FilterGrid.Render(values, weight.Value.Shape).Image.ToPng());
            server.Publish(new JsonObject { ["type"] = "filters", ["epoch"] = r.Epoch, ["url"] = $"filters.png?epoch={r.Epoch}" }.ToJsonString());
        }
        if (test is not null)
        {
            EvaluationResult result = Trainer.Evaluate(network, test, 256, null);
            var matrix = new JsonArray();
            for (int a = 0; a < result.ClassCount; a++)
            {
                matrix.Add(new JsonArray(Enumerable.Range(0, result.ClassCount).Select(p => (JsonNode)result.Confusion(a, p)).ToArray()));
            }
            server.Publish(new JsonObject
            {
                ["type"] = "confusion",
                ["epoch"] = r.Epoch,
                ["classes"] = new JsonArray(result.ClassNames.Select(n => (JsonNode)n).ToArray()),
                ["matrix"] = matrix,
            }.ToJsonString());
        }
    }

    // JSON has no NaN: metrics a run does not have (no validation set) are null.
    private static JsonNode? Finite(double v) => double.IsFinite(v) ? v : null;
}
