using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine;

/// <summary>
/// Named arguments of a component, as written in a model file or on the command line. Getters
/// convert and validate; errors name the component, the argument and the value. The core calls
/// <see cref="ThrowIfUnused"/> after creation so a misspelt argument is an error, not a silent default.
/// </summary>
public sealed class ComponentArguments
{
    private readonly JsonObject _values;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    /// <summary>Wraps <paramref name="values"/> for the component described by <paramref name="owner"/>.</summary>
    /// <param name="owner">How errors name the component, e.g. <c>layer 'dense1' (dense)</c>.</param>
    /// <param name="instanceName">Instance name to give the component.</param>
    /// <param name="values">Argument values; null means none.</param>
    public ComponentArguments(string owner, string instanceName, JsonObject? values = null)
    {
        Owner = owner;
        InstanceName = instanceName;
        _values = values ?? [];
    }

    /// <summary>How errors name the component.</summary>
    public string Owner { get; }

    /// <summary>Instance name for the component (e.g. <c>dense1</c>).</summary>
    public string InstanceName { get; }

    /// <summary>Argument names given.</summary>
    public IEnumerable<string> Names => _values.Select(kv => kv.Key);

    /// <summary>Whether <paramref name="name"/> was given.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>An integer argument, or <paramref name="defaultValue"/> when absent.</summary>
    public int GetInt(string name, int? defaultValue = null, int min = int.MinValue, int max = int.MaxValue)
    {
        JsonNode? node = Get(name, defaultValue is not null);
        if (node is null)
        {
            return defaultValue!.Value;
        }
        if (TryNumber(node, out double d) && d == Math.Floor(d) && d >= int.MinValue && d <= int.MaxValue)
        {
            return InRange(name, (int)d, min, max);
        }
        if (TryNumber(node, out d) && d == Math.Floor(d))
        {
            // 1e10 is an integer, just not one that fits: say so rather than "expected an integer".
            throw new ConfigurationException($"{Owner}: argument '{name}' is {Text(node)}; it must be in [{min}, {max}]");
        }
        throw Invalid(name, node, "an integer");
    }

    /// <summary>A number argument, or <paramref name="defaultValue"/> when absent.</summary>
    public double GetDouble(string name, double? defaultValue = null, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        JsonNode? node = Get(name, defaultValue is not null);
        if (node is null)
        {
            return defaultValue!.Value;
        }
        if (TryNumber(node, out double d) && double.IsFinite(d))
        {
            if (d < min || d > max)
            {
                throw new ConfigurationException($"{Owner}: argument '{name}' is {Format(d)}; it must be in [{Format(min)}, {Format(max)}]");
            }
            return d;
        }
        throw Invalid(name, node, "a finite number");
    }

    /// <summary>A boolean argument, or <paramref name="defaultValue"/> when absent.</summary>
    public bool GetBool(string name, bool? defaultValue = null)
    {
        JsonNode? node = Get(name, defaultValue is not null);
        if (node is null)
        {
            return defaultValue!.Value;
        }
        return node.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Invalid(name, node, "true or false"),
        };
    }

    /// <summary>A string argument, or <paramref name="defaultValue"/> when absent.</summary>
    public string GetString(string name, string? defaultValue = null)
    {
        JsonNode? node = Get(name, defaultValue is not null);
        if (node is null)
        {
            return defaultValue!;
        }
        return node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : throw Invalid(name, node, "a string");
    }

    /// <summary>
    /// The raw JSON value of an argument, or null when it is absent; marks it read. For arguments
    /// that take several forms (an integer or a list, a word or numbers), which the component parses
    /// itself; its errors should start with <see cref="Owner"/> as the typed getters' do.
    /// </summary>
    public JsonNode? GetJson(string name)
    {
        _read.Add(name);
        return _values.TryGetPropertyValue(name, out JsonNode? node) ? node : null;
    }

    /// <summary>
    /// One integer per axis: an integer (the same for all <paramref name="length"/> axes) or an array
    /// of <paramref name="length"/> integers; <paramref name="defaultValue"/> when absent.
    /// </summary>
    public int[] GetInts(string name, int length, int[]? defaultValue = null, int min = int.MinValue, int max = int.MaxValue)
    {
        JsonNode? node = Get(name, defaultValue is not null);
        if (node is null)
        {
            return (int[])defaultValue!.Clone();
        }
        string expected = $"an integer or an array of {length} integers";
        JsonNode?[] items = node is JsonArray array ? [.. array] : [.. Enumerable.Repeat(node, length)];
        if (items.Length != length)
        {
            throw Invalid(name, node, expected);
        }
        var values = new int[length];
        for (int i = 0; i < length; i++)
        {
            if (items[i] is not { } item || !TryNumber(item, out double d) || d != Math.Floor(d) || d < int.MinValue || d > int.MaxValue)
            {
                throw Invalid(name, node, expected);
            }
            values[i] = (int)d;
            if (values[i] < min || values[i] > max)
            {
                throw new ConfigurationException($"{Owner}: argument '{name}' is {Text(node)}; each value must be in [{min}, {max}]");
            }
        }
        return values;
    }

    /// <summary>The JSON kind of argument <paramref name="name"/> (<see cref="JsonValueKind.Undefined"/> when absent), for arguments that accept several forms.</summary>
    public JsonValueKind KindOf(string name) =>
        _values.TryGetPropertyValue(name, out JsonNode? node) && node is not null ? node.GetValueKind() : JsonValueKind.Undefined;

    /// <summary>Throws when an argument was given that the component never read (a typo, usually).</summary>
    public void ThrowIfUnused()
    {
        var unused = _values.Select(kv => kv.Key).Where(k => !_read.Contains(k)).ToList();
        if (unused.Count > 0)
        {
            string known = _read.Count == 0 ? "it takes none" : "it read: " + string.Join(", ", _read.Order());
            throw new ConfigurationException($"{Owner}: unknown argument(s) {string.Join(", ", unused.Select(u => $"'{u}'"))}; {known}");
        }
    }

    private JsonNode? Get(string name, bool optional)
    {
        _read.Add(name);
        if (_values.TryGetPropertyValue(name, out JsonNode? node) && node is not null)
        {
            return node;
        }
        return optional ? null : throw new ConfigurationException($"{Owner}: missing required argument '{name}'");
    }

    private int InRange(string name, int value, int min, int max) =>
        value < min || value > max
            ? throw new ConfigurationException($"{Owner}: argument '{name}' is {value}; it must be in [{min}, {max}]")
            : value;

    // Parsing the JSON text works whatever CLR type a JsonValue was built from (int, double, element).
    // A value built in code (a model importer's float attribute) may be NaN or infinite, which has no
    // JSON text: it is read directly, and the callers refuse it as not finite.
    private static bool TryNumber(JsonNode node, out double d)
    {
        if (NonFinite(node) is double special)
        {
            d = special;
            return true;
        }
        d = 0;
        return node.GetValueKind() == JsonValueKind.Number
            && double.TryParse(node.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    private static double? NonFinite(JsonNode node) =>
        node is not JsonValue value ? null
        : value.TryGetValue(out double d) && !double.IsFinite(d) ? d
        : value.TryGetValue(out float f) && !float.IsFinite(f) ? f
        : null;

    // The argument as the user (or importer) gave it, for messages; NaN and infinities by name.
    private static string Text(JsonNode node) => NonFinite(node) is double special ? Format(special) : node.ToJsonString();

    private ConfigurationException Invalid(string name, JsonNode node, string expected) =>
        new($"{Owner}: argument '{name}' is {Text(node)}; expected {expected}");

    private static string Format(double d) => d.ToString("G6", CultureInfo.InvariantCulture);
}
