using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// Makes learning-rate schedules by name, from arguments, a JSON object (config files) or a compact
/// command-line form. Names and arguments (epochs are 0-based; lr is the context's base rate):
/// <list type="bullet">
/// <item><c>constant</c>: no arguments.</item>
/// <item><c>step</c>: step_size (epochs, required), gamma (0.1).</item>
/// <item><c>multistep</c>: milestones (epochs, ascending, required), gamma (0.1).</item>
/// <item><c>exponential</c>: gamma (per epoch, required).</item>
/// <item><c>inverse-time</c>: decay (required), per (<c>epoch</c>, default, or <c>step</c>): lr/(1 + decay·t).</item>
/// <item><c>cosine</c>: min_lr (0), total_steps (default: the whole run, epochs × steps per epoch).</item>
/// <item><c>warmup</c>: steps or epochs (one of them), then (the next schedule: a name or an object, default constant).</item>
/// </list>
/// The compact form is <c>name</c> or <c>name:key=value,key=value</c>; a list is written with
/// <c>/</c> between its numbers (<c>multistep:milestones=30/60/90,gamma=0.1</c>), and keys starting
/// with <c>then.</c> are the next schedule's arguments
/// (<c>warmup:steps=500,then=cosine,then.min_lr=0.001</c>). The JSON form is an object with
/// <c>name</c> and the arguments: <c>{"name": "warmup", "epochs": 1, "then": {"name": "step", "step_size": 10}}</c>.
/// </summary>
public static class LearningRateSchedules
{
    /// <summary>The schedule names <see cref="Create"/> knows.</summary>
    public static IReadOnlyList<string> Names { get; } = ["constant", "step", "multistep", "exponential", "inverse-time", "cosine", "warmup"];

    /// <summary>Creates schedule <paramref name="name"/>; errors name the schedule, argument and value.</summary>
    public static ILearningRateSchedule Create(string name, ComponentArguments args, ScheduleContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        double lr = context.BaseRate;
        ILearningRateSchedule schedule = name switch
        {
            "constant" => new ConstantSchedule(lr),
            "step" => new StepSchedule(lr, args.GetInt("step_size", min: 1), args.GetDouble("gamma", 0.1, min: 0)),
            "multistep" => new MultiStepSchedule(lr, Milestones(args), args.GetDouble("gamma", 0.1, min: 0)),
            "exponential" => new ExponentialSchedule(lr, args.GetDouble("gamma", min: 0)),
            "inverse-time" => new InverseTimeSchedule(lr, args.GetDouble("decay", min: 0), PerEpoch(args)),
            "cosine" => new CosineSchedule(lr, MinimumRate(args, lr), TotalSteps(args, context)),
            "warmup" => Warmup(args, context),
            _ => throw new ConfigurationException($"unknown learning-rate schedule '{name}'; known: {string.Join(", ", Names)}"),
        };
        args.ThrowIfUnused();
        return schedule;
    }

    /// <summary>Creates a schedule from a JSON object with <c>name</c> and its arguments.</summary>
    public static ILearningRateSchedule FromJson(JsonObject spec, ScheduleContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec["name"] is not JsonValue nameNode || nameNode.GetValueKind() != JsonValueKind.String)
        {
            throw new ConfigurationException($"learning-rate schedule {spec.ToJsonString()}: expected a string 'name' (one of {string.Join(", ", Names)})");
        }
        string name = nameNode.GetValue<string>();
        var arguments = (JsonObject)spec.DeepClone();
        arguments.Remove("name");
        return Create(name, new ComponentArguments($"schedule '{name}'", name, arguments), context);
    }

    // min_lr above the base rate would make an annealing schedule climb.
    private static double MinimumRate(ComponentArguments args, double lr)
    {
        double min = args.GetDouble("min_lr", 0, min: 0);
        return min <= lr ? min : throw new ConfigurationException(string.Create(CultureInfo.InvariantCulture, $"{args.Owner}: min_lr {min} is above the base learning rate {lr}; the rate would climb instead of annealing"));
    }

    /// <summary>Creates a schedule from the compact form (see the class remarks), e.g. <c>step:step_size=10,gamma=0.1</c>.</summary>
    public static ILearningRateSchedule Parse(string text, ScheduleContext context) => FromJson(ParseCompact(text), context);

    /// <summary>The JSON object a compact form stands for: <c>step:step_size=10</c> → <c>{"name": "step", "step_size": 10}</c>.</summary>
    public static JsonObject ParseCompact(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string name = (colon < 0 ? text : text[..colon]).Trim();
        var spec = new JsonObject { ["name"] = name };
        if (colon < 0)
        {
            return spec;
        }
        foreach (string pair in text[(colon + 1)..].Split(',', StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == pair.Length - 1)
            {
                throw new ConfigurationException($"learning-rate schedule '{text}': '{pair}' is not key=value");
            }
            string key = pair[..eq].Trim();
            JsonNode value = CompactValue(pair[(eq + 1)..].Trim(), $"learning-rate schedule '{text}': '{key}'");
            if (key.StartsWith("then.", StringComparison.Ordinal))
            {
                // then=cosine may come before or after then.min_lr=…: keep the name and the arguments together.
                JsonObject then = spec["then"] switch
                {
                    JsonObject o => o,
                    JsonValue v => new JsonObject { ["name"] = v.GetValue<string>() },
                    _ => [],
                };
                then[key["then.".Length..]] = value;
                spec["then"] = then;
            }
            else if (key == "then" && spec["then"] is JsonObject then)
            {
                then["name"] = value.DeepClone();
            }
            else
            {
                spec[key] = value;
            }
        }
        return spec;
    }

    private static JsonNode CompactValue(string text, string owner)
    {
        if (text.Contains('/', StringComparison.Ordinal))
        {
            return new JsonArray([.. text.Split('/').Select(t => CompactValue(t, owner))]);
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
        {
            if (!double.IsFinite(d))
            {
                // NaN or ±infinity (also 1e999): no schedule argument means that, and JSON cannot hold it.
                throw new ConfigurationException($"{owner} is {text}; expected a finite number");
            }
            return d == Math.Floor(d) && Math.Abs(d) < 1e15 ? JsonValue.Create((long)d) : JsonValue.Create(d);
        }
        return text switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            _ => JsonValue.Create(text),
        };
    }

    private static int[] Milestones(ComponentArguments args)
    {
        JsonNode? node = args.GetJson("milestones");
        int[] milestones = node switch
        {
            null => throw new ConfigurationException($"{args.Owner}: missing required argument 'milestones'"),
            JsonArray array when array.All(IsEpoch) => [.. array.Select(EpochOf)],
            JsonValue single when IsEpoch(single) => [EpochOf(single)],
            _ => throw new ConfigurationException($"{args.Owner}: argument 'milestones' is {node.ToJsonString()}; expected epochs (integers >= 0) in ascending order"),
        };
        for (int i = 1; i < milestones.Length; i++)
        {
            if (milestones[i] <= milestones[i - 1])
            {
                throw new ConfigurationException($"{args.Owner}: argument 'milestones' is {node.ToJsonString()}; expected epochs (integers >= 0) in ascending order");
            }
        }
        return milestones;
    }

    private static bool IsEpoch(JsonNode? n) =>
        n is JsonValue v && v.GetValueKind() == JsonValueKind.Number && int.TryParse(v.ToJsonString(), CultureInfo.InvariantCulture, out int e) && e >= 0;

    // Via the JSON text: a value built from a long (the compact form) or parsed from a file reads the same.
    private static int EpochOf(JsonNode? n) => int.Parse(n!.ToJsonString(), CultureInfo.InvariantCulture);

    private static bool PerEpoch(ComponentArguments args) => args.GetString("per", "epoch") switch
    {
        "epoch" => true,
        "step" => false,
        string other => throw new ConfigurationException($"{args.Owner}: argument 'per' is '{other}'; expected 'epoch' or 'step'"),
    };

    private static long TotalSteps(ComponentArguments args, ScheduleContext context)
    {
        if (args.Has("total_steps"))
        {
            return args.GetInt("total_steps", min: 1);
        }
        return context.TotalSteps >= 1
            ? context.TotalSteps
            : throw new ConfigurationException($"{args.Owner}: the run's length is unknown ({context.Epochs} epochs of {context.StepsPerEpoch} steps); give total_steps");
    }

    private static WarmupSchedule Warmup(ComponentArguments args, ScheduleContext context)
    {
        long steps = (args.Has("steps"), args.Has("epochs")) switch
        {
            (true, false) => args.GetInt("steps", min: 1),
            (false, true) => (long)args.GetInt("epochs", min: 1) * context.StepsPerEpoch,
            _ => throw new ConfigurationException($"{args.Owner}: give exactly one of 'steps' and 'epochs' (the warm-up length)"),
        };
        if (steps < 1)
        {
            throw new ConfigurationException($"{args.Owner}: the warm-up is {steps} steps ({context.StepsPerEpoch} steps per epoch); it must be at least 1");
        }
        // What follows the warm-up sees only the rest of the run, so a cosine ends when the run does.
        var rest = context with
        {
            Epochs = Math.Max(0, context.Epochs - (int)(steps / Math.Max(1, context.StepsPerEpoch))),
            TotalSteps = Math.Max(0, context.TotalSteps - steps),
        };
        ILearningRateSchedule then = args.GetJson("then") switch
        {
            null => new ConstantSchedule(context.BaseRate),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => Create(v.GetValue<string>(), new ComponentArguments($"{args.Owner} then '{v.GetValue<string>()}'", v.GetValue<string>()), rest),
            JsonObject o => FromJson(o, rest),
            JsonNode other => throw new ConfigurationException($"{args.Owner}: argument 'then' is {other.ToJsonString()}; expected a schedule name or object"),
        };
        return new WarmupSchedule(steps, then);
    }
}
