using Engine.Core;

namespace Engine.Cli.Tests;

public sealed class TrainingProgressViewTests
{
    [Fact]
    public void PlainOutputHasALineAtEveryTenthAndTheEpochLine()
    {
        var output = new StringWriter();
        var view = TrainingProgressView.For(output, progress: null);
        Assert.False(view.IsLive); // a StringWriter is never a terminal
        // 50 steps reported every 3 steps: tenths are crossed at steps 6, 12, 15, 21, 27, 30, 36, 42, 45.
        view.Run(() =>
        {
            for (int step = 3; step <= 50; step += 3)
            {
                view.OnStep(new StepReport(1, 2, step, 50, step, 0.5, 0.75, 1234.4, 0.1, TimeSpan.FromSeconds(step), TimeSpan.FromSeconds(65)));
            }
            view.OnEpoch(new EpochResult(1, 0.41234, 0.87654, 0.9, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.5), 1500.4), 2);
            return 0;
        });

        string[] lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(10, lines.Length);
        Assert.Equal("progress  epoch 1/2  12%  loss 0.5000  acc 0.7500  1234 images/s  ETA 1:05  step 6/50", lines[0]);
        Assert.EndsWith("step 45/50", lines[8]);
        Assert.Equal("epoch 1/2  loss 0.4123  train acc 0.8765  test acc 0.9000  time 2.5s  1500 images/s", lines[9]);
        Assert.DoesNotContain('\u001b', output.ToString());
    }

    [Fact]
    public void NoProgressKeepsOnlyEpochLinesAndEachEpochStartsAfresh()
    {
        var quiet = new StringWriter();
        var view = TrainingProgressView.For(quiet, progress: false);
        view.OnStep(new StepReport(1, 1, 5, 10, 5, 1, 0.5, 100, 0.1, TimeSpan.Zero, TimeSpan.FromHours(1.5)));
        view.OnEpoch(new EpochResult(1, 1, 0.5, 0.5, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 100), 1);
        Assert.Single(quiet.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var output = new StringWriter();
        view = TrainingProgressView.For(output, progress: true);
        view.OnStep(new StepReport(1, 2, 5, 10, 5, 1, 0.5, 100, 0.1, TimeSpan.Zero, TimeSpan.FromHours(1.5)));
        view.OnStep(new StepReport(2, 2, 5, 10, 15, 1, 0.5, 100, 0.1, TimeSpan.Zero, TimeSpan.FromHours(1.5)));
        Assert.Equal(
            ["progress  epoch 1/2  50%  loss 1.0000  acc 0.5000  100 images/s  ETA 1:30:00  step 5/10", "progress  epoch 2/2  50%  loss 1.0000  acc 0.5000  100 images/s  ETA 1:30:00  step 5/10"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }
}
