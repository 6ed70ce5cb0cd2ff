namespace Engine.Core;

/// <summary>
/// The arguments of one transform as parsed from a spec item or a JSON object: each named argument
/// is a list of numbers (a scalar is a list of one). Lookups check the count and report with the
/// transform's name.
/// </summary>
public sealed class TransformArguments
{
    private readonly Dictionary<string, double[]> _values;

    /// <summary>Arguments of transform <paramref name="transform"/>, as written in <paramref name="source"/> (for messages).</summary>
    public TransformArguments(string transform, string source, Dictionary<string, double[]> values)
    {
        Transform = transform;
        Source = source;
        _values = values;
    }

    /// <summary>The transform's name.</summary>
    public string Transform { get; }

    /// <summary>Where the arguments came from, e.g. <c>crop=4</c>.</summary>
    public string Source { get; }

    /// <summary>Whether argument <paramref name="name"/> was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>Argument <paramref name="name"/> as one number, or <paramref name="fallback"/> when absent (null: required).</summary>
    public double Number(string name, double? fallback = null) => List(name, 1, 1, fallback is null ? null : [fallback.Value])[0];

    /// <summary>Argument <paramref name="name"/> as a whole number.</summary>
    public int Integer(string name, int? fallback = null)
    {
        double v = Number(name, fallback);
        if (v != Math.Floor(v) || v is < int.MinValue or > int.MaxValue)
        {
            throw Error($"argument '{name}' must be a whole number, got {v}");
        }
        return (int)v;
    }

    /// <summary>Argument <paramref name="name"/> as <paramref name="min"/> to <paramref name="max"/> numbers, or <paramref name="fallback"/> when absent.</summary>
    public double[] List(string name, int min, int max, double[]? fallback = null)
    {
        if (!_values.TryGetValue(name, out double[]? values))
        {
            return fallback ?? throw Error($"argument '{name}' is required");
        }
        if (values.Length < min || values.Length > max)
        {
            string expected = min == max ? $"{min}" : max == int.MaxValue ? $"{min} or more" : $"{min} to {max}";
            throw Error($"argument '{name}' takes {expected} value(s), got {values.Length}");
        }
        return values;
    }

    /// <summary>An error naming the transform and where it was written.</summary>
    public ConfigurationException Error(string problem) => new($"augmentation '{Transform}' in '{Source}': {problem}");
}
