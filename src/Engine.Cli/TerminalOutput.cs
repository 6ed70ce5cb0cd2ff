using Spectre.Console;

namespace Engine.Cli;

/// <summary>
/// Decides between rich (Spectre.Console: tables, live progress bars) and plain output. Rich output
/// goes only to a real terminal: a writer other than the process's console (tests), redirected
/// output (<c>| tee</c>, CI logs) or <c>TERM=dumb</c> get plain lines, so logs never hold escape codes.
/// </summary>
internal static class TerminalOutput
{
    /// <summary>Whether <paramref name="output"/> is an interactive terminal that understands ANSI.</summary>
    public static bool IsInteractive(TextWriter output) =>
        ReferenceEquals(output, Console.Out)
        && !Console.IsOutputRedirected
        && Environment.GetEnvironmentVariable("TERM") is not "dumb"
        && Environment.GetEnvironmentVariable("NO_COLOR") is null or "";

    /// <summary>A Spectre console writing to <paramref name="output"/> (only for interactive output).</summary>
    public static IAnsiConsole Create(TextWriter output) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Detect,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(output),
    });

    /// <summary>Label/value lines ("checkpoint  run.ckpt") as a two-column grid with bold labels.</summary>
    public static Grid KeyValueGrid(IEnumerable<(string Key, string Value)> lines)
    {
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap().PadRight(2));
        grid.AddColumn();
        foreach (var (key, value) in lines)
        {
            grid.AddRow($"[bold]{Markup.Escape(key)}[/]", Markup.Escape(value));
        }
        return grid;
    }
}
