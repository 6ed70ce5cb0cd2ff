namespace Engine.Core;

/// <summary>
/// A parameter-name pattern: <c>*</c> matches any run of characters (dots included), <c>?</c> one
/// character, everything else itself, case-sensitively. <c>*.weight</c> selects every layer's
/// weight; <c>dense1.*</c> every parameter of layer dense1.
/// </summary>
public sealed class NamePattern
{
    /// <summary>Parses <paramref name="pattern"/> (non-empty).</summary>
    public NamePattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        Text = pattern;
    }

    /// <summary>The pattern as written.</summary>
    public string Text { get; }

    /// <summary>Whether <paramref name="name"/> matches the whole pattern.</summary>
    public bool Matches(string name)
    {
        // Greedy matching with one back-track point (the last '*'): linear for patterns like these,
        // and no regular expression to build or escape.
        ReadOnlySpan<char> p = Text, s = name;
        int pi = 0, si = 0, star = -1, resume = 0;
        while (si < s.Length)
        {
            if (pi < p.Length && (p[pi] == '?' || p[pi] == s[si]))
            {
                pi++;
                si++;
            }
            else if (pi < p.Length && p[pi] == '*')
            {
                star = pi++;
                resume = si;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                si = ++resume;
            }
            else
            {
                return false;
            }
        }
        while (pi < p.Length && p[pi] == '*')
        {
            pi++;
        }
        return pi == p.Length;
    }

    /// <inheritdoc/>
    public override string ToString() => Text;
}
