using System.Globalization;
using Engine.Core;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>Prints a <see cref="ModelSummary"/>: a Spectre table on a terminal, aligned plain text otherwise.</summary>
internal static class SummaryRenderer
{
    private static readonly string[] Headers = ["layer", "kind", "inputs", "output", "parameters", "MACs"];

    public static void Write(ModelSummary summary, TextWriter output, bool rich)
    {
        string[][] rows = summary.Layers.Select(Row).ToArray();
        if (rich)
        {
            WriteTable(summary, rows, TerminalOutput.Create(output));
        }
        else
        {
            WritePlain(summary, rows, output);
        }
    }

    /// <summary>Totals, one per line; shared by both renderings.</summary>
    public static IEnumerable<string> Totals(ModelSummary summary) =>
    [
        Invariant($"parameters  {summary.TotalParameters:N0} ({Bytes(summary.ParameterBytes)})"),
        Invariant($"MACs        {summary.TotalMultiplyAccumulates:N0} per sample forward ({summary.TotalMultiplyAccumulates / 1e6:F2} M)"),
        Invariant($"activations {summary.ActivationElements:N0} values per sample forward ({Bytes(summary.ActivationBytes)})"),
        .. summary.AuxiliaryOutputs.Count == 0 ? Array.Empty<string>() :
        [
            Invariant($"auxiliary   {string.Join(", ", summary.AuxiliaryOutputs.Select(a => Invariant($"{a.Layer} (loss weight {a.Weight})")))}: training only; the [aux] layers hold {summary.AuxiliaryParameters:N0} of the parameters"),
        ],
    ];

    private static string[] Row(LayerSummary layer) =>
    [
        layer.Auxiliary ? layer.Name + " [aux]" : layer.Name,
        layer.Kind,
        string.Join(", ", layer.Inputs),
        Dims(layer.OutputShape),
        layer.Parameters == 0 ? "-" : Invariant($"{layer.Parameters:N0}"),
        layer.MultiplyAccumulates is long macs and > 0 ? Invariant($"{macs:N0}") : "-",
    ];

    private static void WritePlain(ModelSummary summary, string[][] rows, TextWriter output)
    {
        output.WriteLine($"model {summary.Name}, input {Dims(summary.InputShape)} per sample");
        int[] widths = Headers.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        // Text columns align left, numbers right, as in the table.
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c >= 4 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();
        output.WriteLine(Line(Headers));
        output.WriteLine(new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        foreach (string[] row in rows)
        {
            output.WriteLine(Line(row));
        }
        foreach (string total in Totals(summary))
        {
            output.WriteLine(total);
        }
    }

    private static void WriteTable(ModelSummary summary, string[][] rows, IAnsiConsole console)
    {
        var table = new Table { Border = TableBorder.Rounded, Title = new TableTitle($"model {Markup.Escape(summary.Name)}, input {Dims(summary.InputShape)}") };
        foreach (var (header, c) in Headers.Select((h, c) => (h, c)))
        {
            table.AddColumn(new TableColumn(header) { Alignment = c >= 4 ? Justify.Right : Justify.Left });
        }
        foreach (string[] row in rows)
        {
            table.AddRow(row.Select(Markup.Escape).ToArray());
        }
        console.Write(table);
        foreach (string total in Totals(summary))
        {
            console.WriteLine(total);
        }
    }

    private static string Dims(Shape shape) => string.Join("×", shape);

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1 << 20 => Invariant($"{bytes / (double)(1 << 20):F2} MiB"),
        >= 1 << 10 => Invariant($"{bytes / 1024.0:F1} KiB"),
        _ => Invariant($"{bytes} B"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
