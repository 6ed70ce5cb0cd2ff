using System.Text.RegularExpressions;

namespace Engine.Cli;

/// <summary>System.CommandLine's parse errors in the engine's words: the expected kind of value, not the .NET type.</summary>
internal static partial class ParseErrors
{
    public static string Plain(string message) => ExpectedType().Replace(message, m => $": expected {Kind(m.Groups[1].Value)}").TrimEnd('.');

    private static string Kind(string type) => type.Replace("System.Nullable`1[", "", StringComparison.Ordinal).TrimEnd(']') switch
    {
        "System.Int32" or "System.Int64" => "an integer",
        "System.UInt64" or "System.UInt32" => "a non-negative integer",
        "System.Double" or "System.Single" => "a number",
        "System.Boolean" => "true or false",
        string other => other[(other.LastIndexOf('.') + 1)..].ToLowerInvariant(),
    };

    [GeneratedRegex(@" as expected type '([^']+)'")]
    private static partial Regex ExpectedType();
}
