using System.Text.Json;
using System.Text.Json.Nodes;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// A <c>--config</c> file for <c>engine train</c>: a JSON object whose keys are long option names
/// (<c>"batch-size": 64</c>). <c>"optimizer"</c> may also be an object,
/// <c>{"name": "sgd", "lr": 0.05, "momentum": 0.9}</c>: its name is the optimiser and the other keys
/// its arguments, as <c>--optimizer-args</c>. Errors name the file and the key.
/// </summary>
internal sealed class TrainConfigFile
{
    private readonly Dictionary<string, JsonNode?> _values;

    private TrainConfigFile(string path, Dictionary<string, JsonNode?> values)
    {
        Path = path;
        _values = values;
    }

    /// <summary>The file read.</summary>
    public string Path { get; }

    /// <summary>An empty configuration (no <c>--config</c>).</summary>
    public static TrainConfigFile None { get; } = new("(none)", []);

    /// <summary>Reads <paramref name="path"/>; every key must be one of <paramref name="knownKeys"/>.</summary>
    public static TrainConfigFile Load(string path, IReadOnlySet<string> knownKeys)
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"--config file '{path}' does not exist");
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(TextFileReader.Read(path, "--config file"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new ConfigurationException($"--config file '{path}': invalid JSON{(e.LineNumber is long line ? $" at line {line + 1}" : "")}: {e.Message.Split('.')[0]}");
        }
        if (root is not JsonObject settings)
        {
            throw new ConfigurationException($"--config file '{path}': the top level must be a JSON object of option names and values");
        }
        var values = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (key, value) in settings)
        {
            if (!knownKeys.Contains(key))
            {
                throw new ConfigurationException($"--config file '{path}': unknown key '{key}'; keys are the long option names of 'engine train': {string.Join(", ", knownKeys.Order(StringComparer.Ordinal))}");
            }
            values[key] = value;
        }
        var config = new TrainConfigFile(path, values);
        config.SplitOptimizerObject();
        return config;
    }

    /// <summary>Whether the file sets <paramref name="key"/>.</summary>
    public bool Has(string key) => _values.ContainsKey(key);

    /// <summary>The value of <paramref name="key"/> converted to <typeparamref name="T"/>; an error names the file, key and value.</summary>
    public T Get<T>(string key)
    {
        JsonNode? node = _values[key];
        Type type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        object? value = type switch
        {
            _ when type == typeof(string) => node is JsonObject or JsonArray ? node.ToJsonString() : Scalar<string>(key, node, JsonValueKind.String, "a string"),
            _ when type == typeof(int) => Scalar<int>(key, node, JsonValueKind.Number, "an integer"),
            _ when type == typeof(ulong) => Scalar<ulong>(key, node, JsonValueKind.Number, "a non-negative integer"),
            _ when type == typeof(double) => Scalar<double>(key, node, JsonValueKind.Number, "a number"),
            _ when type == typeof(bool) => node?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? node.GetValue<bool>() : throw Invalid(key, node, "true or false"),
            _ when type == typeof(string[]) => node is JsonArray list
                ? list.Select(e => Scalar<string>(key, e, JsonValueKind.String, "a list of strings")).ToArray()
                : [Scalar<string>(key, node, JsonValueKind.String, "a string or a list of strings")],
            _ => throw new InvalidOperationException($"no config conversion to {type}"),
        };
        return (T)value!;
    }

    // "optimizer": {"name": "sgd", "lr": 0.05} is shorthand for "optimizer": "sgd", "optimizer-args": {"lr": 0.05}.
    private void SplitOptimizerObject()
    {
        if (_values.GetValueOrDefault("optimizer") is not JsonObject optimizer)
        {
            return;
        }
        if (optimizer["name"]?.GetValueKind() != JsonValueKind.String)
        {
            throw new ConfigurationException($"--config file '{Path}': key 'optimizer' as an object needs a string \"name\", e.g. {{\"name\": \"sgd\", \"lr\": 0.05}}");
        }
        if (Has("optimizer-args"))
        {
            throw new ConfigurationException($"--config file '{Path}': give optimiser arguments either in the 'optimizer' object or in 'optimizer-args', not both");
        }
        var args = new JsonObject();
        foreach (var (key, value) in optimizer.Where(kv => kv.Key != "name"))
        {
            args[key] = value?.DeepClone();
        }
        _values["optimizer"] = JsonValue.Create(optimizer["name"]!.GetValue<string>());
        _values["optimizer-args"] = args;
    }

    private T Scalar<T>(string key, JsonNode? node, JsonValueKind kind, string expected) =>
        node is JsonValue value && value.GetValueKind() == kind && value.TryGetValue(out T? result) && result is not null
            ? result
            : throw Invalid(key, node, expected);

    private ConfigurationException Invalid(string key, JsonNode? node, string expected) =>
        new($"--config file '{Path}': key '{key}' must be {expected}, got {node?.ToJsonString() ?? "null"}");
}
