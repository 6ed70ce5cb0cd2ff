using System.Globalization;
using Spectre.Console;

namespace Engine.Cli;

/// <summary>Prints what <c>engine predict</c> found: a Spectre table on a terminal, aligned plain text otherwise.</summary>
internal static class PredictRenderer
{
    /// <summary>
    /// Writes the descriptive <paramref name="lines"/> (checkpoint, model, input, …), then the
    /// <paramref name="ranked"/> classes, most probable first, with probabilities to six decimals.
    /// </summary>
    public static void Write(IReadOnlyList<(string Key, string Value)> lines, IReadOnlyList<(string Class, double Probability)> ranked, TextWriter output, bool rich)
    {
        string[][] rows = ranked.Select((r, i) => new[] { Invariant($"{i + 1}"), r.Class, Invariant($"{r.Probability:F6}") }).ToArray();
        string[] headers = ["rank", "class", "probability"];
        if (rich)
        {
            IAnsiConsole console = TerminalOutput.Create(output);
            console.Write(TerminalOutput.KeyValueGrid(lines));
            var table = new Table { Border = TableBorder.Rounded };
            table.AddColumn(new TableColumn(headers[0]) { Alignment = Justify.Right });
            table.AddColumn(headers[1]);
            table.AddColumn(new TableColumn(headers[2]) { Alignment = Justify.Right });
            foreach (string[] row in rows)
            {
                table.AddRow(row.Select(Markup.Escape).ToArray());
            }
            console.Write(table);
            return;
        }
        int keyWidth = lines.Max(l => l.Key.Length) + 2;
        foreach (var (key, value) in lines)
        {
            output.WriteLine(key.PadRight(keyWidth) + value);
        }
        output.WriteLine();
        int[] widths = headers.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        // The class name aligns left, the numbers right, as in the table.
        string Line(string[] cells) => string.Join("  ", cells.Select((cell, c) => c == 1 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c])));
        output.WriteLine(Line(headers));
        foreach (string[] row in rows)
        {
            output.WriteLine(Line(row));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
