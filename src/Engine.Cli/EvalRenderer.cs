using System.Globalization;
using Engine.Core;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>What <c>engine eval</c> measured, with the lines describing what was evaluated.</summary>
/// <param name="Checkpoint">The checkpoint file.</param>
/// <param name="Model">Model name, input shape and parameter count.</param>
/// <param name="Data">Data set, split, folder and size.</param>
/// <param name="Normalization">The evaluation transforms applied (null when none).</param>
/// <param name="Examples">Examples evaluated.</param>
internal sealed record EvalReport(string Checkpoint, string Model, string Data, string? Normalization, int Examples)
{
    /// <summary>The full evaluation (null under 10-crop).</summary>
    public EvaluationResult? Result { get; init; }

    /// <summary>The 10-crop size, e.g. 24×24 (null without 10-crop).</summary>
    public string? TenCrop { get; init; }

    /// <summary>Top-1 accuracy under 10-crop averaging.</summary>
    public double TenCropTop1 { get; init; } = double.NaN;
}

/// <summary>Prints an <see cref="EvalReport"/>: Spectre tables on a terminal, aligned plain text otherwise.</summary>
internal static class EvalRenderer
{
    private const string MatrixTitle = "confusion matrix (rows: true class, columns: predicted class)";

    public static void Write(EvalReport report, TextWriter output, bool rich)
    {
        var lines = new List<(string Key, string Value)>
        {
            ("checkpoint", report.Checkpoint),
            ("model", report.Model),
            ("data", report.Data),
        };
        if (report.Normalization is string normalization)
        {
            lines.Add(("normalize", $"{normalization} (the evaluation side of the training augmentation)"));
        }
        lines.AddRange(Metrics(report));
        if (rich)
        {
            WriteRich(lines, report.Result, TerminalOutput.Create(output));
        }
        else
        {
            WritePlain(lines, report.Result, output);
        }
    }

    /// <summary>Examples and the measured values, one per line; shared by both renderings.</summary>
    private static IEnumerable<(string, string)> Metrics(EvalReport report)
    {
        yield return ("examples", Invariant($"{report.Examples}"));
        if (report.Result is EvaluationResult r)
        {
            yield return ("loss", Invariant($"{r.Loss:F4}"));
            yield return ("top-1", Invariant($"{r.Top1:F4}"));
            yield return ("top-5", Invariant($"{r.Top5:F4}"));
            yield return ("non-finite", r.NonFiniteOutputs == 0
                ? "0 outputs with NaN or infinity"
                : Invariant($"{r.NonFiniteOutputs} of {report.Examples} outputs hold NaN or infinity (never counted correct: the model's weights or input are broken)"));
        }
        else
        {
            yield return ("top-1", Invariant($"{report.TenCropTop1:F4} (10-crop {report.TenCrop}, softmax averaged over the crops)"));
        }
    }

    private static void WritePlain(List<(string Key, string Value)> lines, EvaluationResult? result, TextWriter output)
    {
        int width = lines.Max(l => l.Key.Length) + 2;
        foreach (var (key, value) in lines)
        {
            output.WriteLine(key.PadRight(width) + value);
        }
        if (result is not null)
        {
            output.WriteLine();
            output.WriteLine(MatrixTitle);
            output.Write(result.FormatConfusionMatrix());
        }
    }

    private static void WriteRich(List<(string Key, string Value)> lines, EvaluationResult? result, IAnsiConsole console)
    {
        console.Write(TerminalOutput.KeyValueGrid(lines));
        if (result is null)
        {
            return;
        }
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle(MatrixTitle) };
        table.AddColumn("true");
        for (int p = 0; p < result.ClassCount; p++)
        {
            table.AddColumn(new TableColumn(Invariant($"{p}")) { Alignment = Justify.Right });
        }
        table.AddColumn(new TableColumn("recall") { Alignment = Justify.Right });
        double[] recall = result.Recall();
        for (int c = 0; c < result.ClassCount; c++)
        {
            var cells = new List<string> { Markup.Escape(Invariant($"{c} {result.ClassNames[c]}")) };
            for (int p = 0; p < result.ClassCount; p++)
            {
                // The diagonal (correct predictions) stands out; off-diagonal zeros fade.
                long n = result.Confusion(c, p);
                cells.Add(p == c ? Invariant($"[green]{n}[/]") : n == 0 ? "[dim]0[/]" : Invariant($"{n}"));
            }
            cells.Add(Invariant($"{recall[c]:F4}"));
            table.AddRow(cells.ToArray());
        }
        console.Write(table);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
