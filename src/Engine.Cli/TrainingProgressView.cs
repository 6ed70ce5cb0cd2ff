using System.Globalization;
using Engine.Core;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// Shows a training run: <see cref="StepReport"/>s as progress and <see cref="EpochResult"/>s as one
/// line per epoch kept in the scroll-back. On a terminal the progress is a live Spectre.Console bar per
/// epoch (loss, accuracy, images/s, ETA); anywhere else (a file, a pipe, a test's StringWriter) it is
/// a plain line at every tenth of an epoch, so logs hold no escape codes. With progress off, only the
/// epoch lines are written.
/// </summary>
internal sealed class TrainingProgressView
{
    private readonly TextWriter _output;
    private readonly IAnsiConsole? _console; // set in live mode only
    private readonly bool _showSteps;
    private ProgressContext? _context;
    private ProgressTask? _task;
    private int _epoch;
    private int _lastTenth;

    private TrainingProgressView(TextWriter output, IAnsiConsole? console, bool showSteps)
    {
        _output = output;
        _console = console;
        _showSteps = showSteps;
    }

    /// <summary>Whether progress is drawn live (a terminal) rather than as plain lines.</summary>
    public bool IsLive => _console is not null;

    /// <summary>
    /// A view for <paramref name="output"/>. <paramref name="progress"/>: true or null (automatic) shows
    /// step progress, false shows the epoch lines alone; live bars only on an interactive terminal.
    /// </summary>
    public static TrainingProgressView For(TextWriter output, bool? progress)
    {
        bool steps = progress ?? true;
        bool live = steps && TerminalOutput.IsInteractive(output);
        return new TrainingProgressView(output, live ? TerminalOutput.Create(output) : null, steps);
    }

    /// <summary>Runs <paramref name="training"/>, inside a live progress display when there is one.</summary>
    public T Run<T>(Func<T> training)
    {
        if (_console is null)
        {
            return training();
        }
        return _console.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn())
            .Start(context =>
            {
                _context = context;
                try
                {
                    return training();
                }
                finally
                {
                    _context = null;
                }
            });
    }

    /// <summary>Progress within an epoch.</summary>
    public void OnStep(StepReport report)
    {
        if (!_showSteps)
        {
            return;
        }
        if (report.Epoch != _epoch)
        {
            _epoch = report.Epoch;
            _lastTenth = 0;
            _task?.StopTask();
            _task = _context?.AddTask(Describe(report), maxValue: report.StepsPerEpoch);
        }
        if (_task is not null)
        {
            _task.Description = Markup.Escape(Describe(report));
            _task.Value = report.Step;
            return;
        }
        // Plain: one line when the epoch passes each tenth (reports may come every few steps), none at
        // the end, where the epoch line follows.
        int tenth = (int)((long)report.Step * 10 / Math.Max(1, report.StepsPerEpoch));
        if (tenth > _lastTenth && tenth < 10)
        {
            _lastTenth = tenth;
            _output.WriteLine(Invariant($"progress  {Describe(report)}  step {report.Step}/{report.StepsPerEpoch}"));
        }
    }

    /// <summary>An epoch finished: its line stays in the scroll-back.</summary>
    public void OnEpoch(EpochResult result, int epochs)
    {
        string line = FormatEpoch(result, epochs);
        if (_task is not null)
        {
            _task.Value = _task.MaxValue;
            _task.StopTask();
            _task = null;
        }
        if (_console is not null)
        {
            _console.WriteLine(line);
        }
        else
        {
            _output.WriteLine(line);
        }
    }

    /// <summary>The per-epoch line (the format tests and logs rely on).</summary>
    public static string FormatEpoch(EpochResult r, int epochs) => Invariant(
        $"epoch {r.Epoch}/{epochs}  loss {r.TrainLoss:F4}  train acc {r.TrainAccuracy:F4}")
        + (double.IsNaN(r.ValidationLoss) ? "" : Invariant($"  val loss {r.ValidationLoss:F4}  val acc {r.ValidationAccuracy:F4}"))
        + (double.IsNaN(r.TestAccuracy) ? "" : Invariant($"  test acc {r.TestAccuracy:F4}"))
        + (double.IsNaN(r.LearningRate) ? "" : Invariant($"  lr {r.LearningRate:G4}"))
        + Invariant($"  time {r.Elapsed.TotalSeconds:F1}s  {r.ImagesPerSecond:F0} images/s");

    private static string Describe(StepReport r) => Invariant(
        $"epoch {r.Epoch}/{r.Epochs} {100L * r.Step / Math.Max(1, r.StepsPerEpoch),3}%  loss {r.Loss:F4}  acc {r.Accuracy:F4}  {r.ImagesPerSecond:F0} images/s  ETA {Duration(r.Remaining)}");

    private static string Duration(TimeSpan t) =>
        t.TotalHours >= 1 ? Invariant($"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}") : Invariant($"{t.Minutes}:{t.Seconds:00}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
