using System.CommandLine;
using System.Text.RegularExpressions;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// The examples the documentation shows, extracted from README.md and from the help text each time
/// the tests run, so a new example is tested without anyone listing it: fenced <c>json</c> blocks
/// (model files and config files), <c>engine …</c> command lines (fenced and inline), and every
/// <c>e.g.</c> value in an option's or argument's help.
/// </summary>
internal static partial class DocumentedExamples
{
    public static string Readme => File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));

    /// <summary>The body of every fenced <c>```json</c> block.</summary>
    public static IReadOnlyList<string> JsonBlocks() =>
        [.. FencedBlock().Matches(Readme).Where(m => m.Groups["lang"].Value == "json").Select(m => m.Groups["body"].Value)];

    /// <summary>
    /// Every command line of the engine the README shows: lines of fenced <c>sh</c> blocks and inline
    /// code spans that start with <c>engine </c> or <c>artifacts/engine/engine </c> (comments removed),
    /// as the tokens after the program name.
    /// </summary>
    public static IReadOnlyList<string[]> CommandLines()
    {
        IEnumerable<string> inline = InlineCode().Matches(FencedBlock().Replace(Readme, "")).Select(m => m.Groups[1].Value.ReplaceLineEndings(" ").Split("  #")[0].Trim());
        return [.. FencedShellLines().Concat(inline)
            .Select(line => line.StartsWith("artifacts/engine/engine ", StringComparison.Ordinal) ? line["artifacts/engine/".Length..] : line)
            .Where(line => line.StartsWith("engine ", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Select(line => ShellWords(line)[1..])];
    }

    /// <summary>
    /// The README's data-parallel launches: lines of fenced <c>sh</c> blocks that start the engine under
    /// an MPI launcher (<c>mpirun</c>, <c>mpiexec.mpich</c>), as shell words, launcher first.
    /// </summary>
    public static IReadOnlyList<string[]> MpiLaunchLines() =>
        [.. FencedShellLines()
            .Where(l => l.StartsWith("mpirun ", StringComparison.Ordinal) || l.StartsWith("mpiexec.mpich ", StringComparison.Ordinal))
            .Distinct(StringComparer.Ordinal)
            .Select(ShellWords)];

    /// <summary>The <c>dotnet build</c> lines of the README's fenced <c>sh</c> blocks (building the sample plugin).</summary>
    public static IReadOnlyList<string[]> DotnetBuildLines() =>
        [.. FencedShellLines()
            .Where(l => l.StartsWith("dotnet build ", StringComparison.Ordinal))
            .Select(l => ShellWords(l)[1..])];

    /// <summary>
    /// The lines of the README's fenced <c>sh</c> blocks, comments removed; a line ending in a
    /// backslash goes on (shell continuation).
    /// </summary>
    private static IEnumerable<string> FencedShellLines() =>
        FencedBlock().Matches(Readme).Where(m => m.Groups["lang"].Value == "sh")
            .SelectMany(m => m.Groups["body"].Value.Replace("\\\n", " ", StringComparison.Ordinal).Split('\n'))
            .Select(l => l.Split("  #")[0].Trim());

    /// <summary>
    /// Only command words (<c>engine features hog</c>, <c>engine check-backend cudnn</c> in running text):
    /// a mention of a command, checked like a synopsis rather than run.
    /// </summary>
    public static bool IsCommandMention(string[] args) => args.All(a => a.Length > 0 && char.IsLower(a[0]) && a.All(c => char.IsLower(c) || c == '-'));

    /// <summary>An example for a GPU backend (<c>--device gpu</c> or <c>cudnn</c>).</summary>
    public static bool NeedsGpu(string[] args)
    {
        int at = Array.IndexOf(args, "--device");
        return at >= 0 && at + 1 < args.Length && args[at + 1] is "gpu" or "cudnn";
    }

    /// <summary>A synopsis rather than an example: placeholders (NAME, FILE, N), alternatives or optional parts.</summary>
    public static bool IsSynopsis(string[] args) =>
        args.Any(a => a.IndexOfAny(['[', ']', '|', '(', ')']) >= 0 || Placeholder().IsMatch(a));

    /// <summary>
    /// Every example value in the help: (command path, option or argument name, value), from the text
    /// after "e.g." in its description: the quoted values, or else the words joined by " or ".
    /// </summary>
    public static IReadOnlyList<(string[] Command, string Symbol, string Value)> HelpExamples()
    {
        var found = new List<(string[], string, string)>();
        void Walk(Command command, string[] path)
        {
            foreach (Option option in command.Options)
            {
                foreach (string value in ExampleValues(option.Description))
                {
                    found.Add((path, option.Name, value));
                }
            }
            foreach (Argument argument in command.Arguments)
            {
                foreach (string value in ExampleValues(argument.Description))
                {
                    found.Add((path, argument.Name, value));
                }
            }
            foreach (Command sub in command.Subcommands)
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }
        Walk(EngineCli.CreateRoot(TextWriter.Null, TextWriter.Null), []);
        return found;
    }

    private static IEnumerable<string> ExampleValues(string? description)
    {
        int at = description?.IndexOf("e.g. ", StringComparison.Ordinal) ?? -1;
        if (at < 0)
        {
            yield break;
        }
        string rest = description![(at + 5)..];
        MatchCollection quoted = Quoted().Matches(rest);
        if (quoted.Count > 0)
        {
            foreach (Match m in quoted)
            {
                yield return m.Groups[1].Value;
            }
            yield break;
        }
        string words = rest.Split(['(', ')', ';', ','])[0];
        foreach (string word in words.Split(" or ", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            yield return word;
        }
    }

    /// <summary>Splits like a POSIX shell for the simple lines documentation holds: spaces, and '…' or "…" quoting.</summary>
    public static string[] ShellWords(string line)
    {
        var words = new List<string>();
        var current = new System.Text.StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (c == ' ')
            {
                if (inWord)
                {
                    words.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(current.ToString());
        }
        return [.. words];
    }

    [GeneratedRegex(@"^```(?<lang>\w*)\n(?<body>.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();

    [GeneratedRegex(@"`([^`]+)`")] // a code span may break across lines
    private static partial Regex InlineCode();

    [GeneratedRegex(@"^[A-Z][A-Z0-9_]*$")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"(?<!\w)'([^']+)'(?!\w)")] // quotes, not apostrophes (the data set's)
    private static partial Regex Quoted();
}
