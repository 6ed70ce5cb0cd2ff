using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine;

/// <summary>
/// A weight initialisation rule that layers (the standard ones and third-party ones) read from
/// their <c>init</c> argument and apply with the layer's seed, so initialisation is reproducible
/// and equal on every backend (<see cref="IBackend.FillRandom"/>). The argument is a name —
/// <c>default</c>, <c>normal</c>, <c>uniform</c>, <c>xavier_uniform</c> (or <c>glorot_uniform</c>),
/// <c>xavier_normal</c> (<c>glorot_normal</c>), <c>he_normal</c> (<c>kaiming_normal</c>),
/// <c>he_uniform</c> (<c>kaiming_uniform</c>) — or an object with the name and its scale:
/// <c>{"name": "normal", "std": 0.02}</c>, <c>{"name": "uniform", "limit": 0.1}</c>.
/// </summary>
public sealed class Initializer
{
    private static readonly Dictionary<string, InitializerKind> Names = new(StringComparer.Ordinal)
    {
        ["default"] = InitializerKind.Default,
        ["normal"] = InitializerKind.Normal,
        ["uniform"] = InitializerKind.Uniform,
        ["xavier_uniform"] = InitializerKind.XavierUniform,
        ["glorot_uniform"] = InitializerKind.XavierUniform,
        ["xavier_normal"] = InitializerKind.XavierNormal,
        ["glorot_normal"] = InitializerKind.XavierNormal,
        ["he_normal"] = InitializerKind.HeNormal,
        ["kaiming_normal"] = InitializerKind.HeNormal,
        ["he_uniform"] = InitializerKind.HeUniform,
        ["kaiming_uniform"] = InitializerKind.HeUniform,
    };

    /// <summary>Creates a rule; <paramref name="scale"/> is the standard deviation of <see cref="InitializerKind.Normal"/> or the limit of <see cref="InitializerKind.Uniform"/>, ignored by the others.</summary>
    public Initializer(InitializerKind kind, double scale = double.NaN)
    {
        Kind = kind;
        Scale = kind switch
        {
            InitializerKind.Normal => double.IsNaN(scale) ? 0.01 : scale,
            InitializerKind.Uniform => double.IsNaN(scale) ? 0.05 : scale,
            _ => 0,
        };
        if (!double.IsFinite(Scale) || Scale < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "an initialiser's scale must be finite and >= 0");
        }
    }

    /// <summary>PyTorch's default rule, U(±1/√fan_in).</summary>
    public static Initializer Default { get; } = new(InitializerKind.Default);

    /// <summary>The rule.</summary>
    public InitializerKind Kind { get; }

    /// <summary>Standard deviation (normal) or limit (uniform); 0 for the rules that derive theirs from the fans.</summary>
    public double Scale { get; }

    /// <summary>
    /// Reads the weight rule from argument <paramref name="name"/> (absent: <see cref="Default"/>);
    /// errors name the component, the argument and the value.
    /// </summary>
    public static Initializer FromArgument(ComponentArguments args, string name = "init")
    {
        ArgumentNullException.ThrowIfNull(args);
        JsonNode? node = args.GetJson(name);
        string known = string.Join(", ", Names.Keys);
        switch (node)
        {
            case null:
                return Default;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                return Names.TryGetValue(v.GetValue<string>(), out InitializerKind kind)
                    ? new Initializer(kind)
                    : throw new ConfigurationException($"{args.Owner}: argument '{name}' is '{v.GetValue<string>()}'; known initialisers: {known}");
            case JsonObject o when o["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String && Names.TryGetValue(n.GetValue<string>(), out InitializerKind named):
                string? scaleName = named switch { InitializerKind.Normal => "std", InitializerKind.Uniform => "limit", _ => null };
                var unknown = o.Select(kv => kv.Key).Where(k => k != "name" && k != scaleName).ToList();
                if (unknown.Count > 0)
                {
                    throw new ConfigurationException($"{args.Owner}: argument '{name}' is {o.ToJsonString()}; '{n.GetValue<string>()}' takes {(scaleName is null ? "no arguments" : $"only '{scaleName}'")}");
                }
                if (scaleName is null || o[scaleName] is null)
                {
                    return new Initializer(named);
                }
                return o[scaleName] is JsonValue s && s.GetValueKind() == JsonValueKind.Number
                    && double.TryParse(s.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double scale) && double.IsFinite(scale) && scale >= 0
                    ? new Initializer(named, scale)
                    : throw new ConfigurationException($"{args.Owner}: argument '{name}' is {o.ToJsonString()}; '{scaleName}' must be a number >= 0");
            default:
                throw new ConfigurationException($"{args.Owner}: argument '{name}' is {node.ToJsonString()}; expected an initialiser name ({known}) or an object such as {{\"name\": \"normal\", \"std\": 0.02}}");
        }
    }

    /// <summary>Reads the bias rule from argument <paramref name="name"/>: <c>default</c> (absent) or <c>zeros</c>.</summary>
    public static BiasInitializer BiasFromArgument(ComponentArguments args, string name = "bias_init")
    {
        ArgumentNullException.ThrowIfNull(args);
        return args.GetString(name, "default") switch
        {
            "default" => BiasInitializer.Default,
            "zeros" => BiasInitializer.Zeros,
            string other => throw new ConfigurationException($"{args.Owner}: argument '{name}' is '{other}'; expected 'default' or 'zeros'"),
        };
    }

    /// <summary>
    /// The distribution this rule draws from for a weight with these fans, as
    /// <see cref="IBackend.FillRandom"/>'s (distribution, a, b). PyTorch's fans: a dense weight out×in
    /// has fan_in = in, fan_out = out; a convolution weight K×(C/groups)×kernel has
    /// fan_in = (C/groups)·kernel volume and fan_out = K·kernel volume.
    /// </summary>
    public (RandomDistribution Distribution, double A, double B) Distribution(int fanIn, int fanOut)
    {
        if (fanIn < 1 || fanOut < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(fanIn), $"fans must be >= 1, got fan_in {fanIn}, fan_out {fanOut}");
        }
        double limit;
        switch (Kind)
        {
            case InitializerKind.Default:
                limit = 1 / Math.Sqrt(fanIn);
                break;
            case InitializerKind.Uniform:
                limit = Scale;
                break;
            case InitializerKind.XavierUniform:
                limit = Math.Sqrt(6.0 / (fanIn + fanOut));
                break;
            case InitializerKind.HeUniform:
                limit = Math.Sqrt(6.0 / fanIn);
                break;
            case InitializerKind.Normal:
                return (RandomDistribution.Normal, 0, Scale);
            case InitializerKind.XavierNormal:
                return (RandomDistribution.Normal, 0, Math.Sqrt(2.0 / (fanIn + fanOut)));
            default:
                return (RandomDistribution.Normal, 0, Math.Sqrt(2.0 / fanIn));
        }
        return (RandomDistribution.Uniform, -limit, limit);
    }

    /// <summary>Fills <paramref name="weight"/> by this rule with seed <paramref name="seed"/>.</summary>
    public void Fill(Tensor weight, int fanIn, int fanOut, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var (distribution, a, b) = Distribution(fanIn, fanOut);
        weight.Backend.FillRandom(weight, distribution, a, b, seed);
    }

    /// <summary>Fills <paramref name="bias"/> by <paramref name="rule"/>: U(±1/√fan_in) (PyTorch) or zeros.</summary>
    public static void FillBias(BiasInitializer rule, Tensor bias, int fanIn, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(bias);
        if (rule == BiasInitializer.Zeros)
        {
            bias.Backend.Fill(bias, 0);
        }
        else
        {
            Default.Fill(bias, fanIn, 1, seed);
        }
    }
}
