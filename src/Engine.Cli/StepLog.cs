using System.Globalization;
using System.Text;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// <c>--log-steps FILE.csv</c>: one row per training step, for loss curves finer than an epoch (and
/// for comparing a run step by step with another framework). Loss and accuracy are the epoch's
/// running means, as in the progress display; a step's own loss is
/// (loss_k·seen_k − loss_{k−1}·seen_{k−1}) / batch.
/// </summary>
internal sealed class StepLog : IDisposable
{
    private readonly StreamWriter _writer;

    public StepLog(string path)
    {
        _writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        _writer.WriteLine("epoch,step,global_step,running_loss,running_accuracy,learning_rate,images_per_second");
    }

    public void Write(StepReport r) => _writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{r.Epoch},{r.Step},{r.GlobalStep},{r.Loss:R},{r.Accuracy:R},{r.LearningRate:R},{r.ImagesPerSecond:F1}"));

    public void Dispose() => _writer.Dispose();
}
