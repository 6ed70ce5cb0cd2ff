using System.Text;

namespace Engine.Cli;

/// <summary>
/// Standard output for the CLI: a write that fails (stdout closed with <c>&gt;&amp;-</c>, a full disk, a
/// pipe whose reader is gone) becomes an <see cref="EngineException"/> saying so, reported on stderr
/// as one line with exit code 1, instead of an unhandled exception from deep inside a command.
/// </summary>
internal sealed class StandardOutput(TextWriter inner) : TextWriter
{
    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    public override void Write(char value) => Guard(() => inner.Write(value));

    public override void Write(char[] buffer, int index, int count) => Guard(() => inner.Write(buffer, index, count));

    public override void Write(string? value) => Guard(() => inner.Write(value));

    public override void WriteLine(string? value) => Guard(() => inner.WriteLine(value));

    public override void Flush() => Guard(inner.Flush);

    private static void Guard(Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineException($"cannot write to standard output (is it closed, or the disk full?): {e.InnerException?.Message ?? e.Message}", e);
        }
    }
}
