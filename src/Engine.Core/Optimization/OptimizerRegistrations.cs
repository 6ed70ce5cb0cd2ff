using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Core;

/// <summary>
/// The built-in optimisers, registered by name with torch.optim's argument names and defaults
/// (except sgd's lr, 0.01 as before). Every one takes weight_decay and skips frozen parameters.
/// </summary>
public static class OptimizerRegistrations
{
    /// <summary>Adds sgd, adagrad, rmsprop, adam, adamw, radam, lookahead and ranger.</summary>
    public static IServiceCollection AddEngineOptimizers(this IServiceCollection services)
    {
        Add(services, "sgd",
            "SGD as torch.optim.SGD; arguments: lr (0.01), momentum (0), dampening (0), nesterov (false), weight_decay (0)",
            a => new SgdOptimizer(Rate(a, 0.01), a.GetDouble("momentum", 0, min: 0), a.GetDouble("dampening", 0, min: 0, max: 1),
                a.GetBool("nesterov", false), WeightDecay(a, 0)));
        Add(services, "adagrad",
            "Adagrad as torch.optim.Adagrad; arguments: lr (0.01), lr_decay (0), weight_decay (0), initial_accumulator_value (0), eps (1e-10)",
            a => new AdagradOptimizer(Rate(a, 0.01), a.GetDouble("lr_decay", 0, min: 0), WeightDecay(a, 0),
                a.GetDouble("initial_accumulator_value", 0, min: 0), Epsilon(a, 1e-10)));
        Add(services, "rmsprop",
            "RMSprop as torch.optim.RMSprop; arguments: lr (0.01), alpha (0.99), eps (1e-8), weight_decay (0), momentum (0), centered (false)",
            a => new RmsPropOptimizer(Rate(a, 0.01), a.GetDouble("alpha", 0.99, min: 0, max: 1), Epsilon(a, 1e-8), WeightDecay(a, 0),
                a.GetDouble("momentum", 0, min: 0), a.GetBool("centered", false)));
        Add(services, "adam",
            "Adam as torch.optim.Adam (L2 weight decay added to the gradient); arguments: lr (0.001), beta1 (0.9), beta2 (0.999), eps (1e-8), weight_decay (0), amsgrad (false)",
            a => new AdamOptimizer(Rate(a, 1e-3), Beta(a, "beta1", 0.9), Beta(a, "beta2", 0.999), Epsilon(a, 1e-8), WeightDecay(a, 0), a.GetBool("amsgrad", false)));
        Add(services, "adamw",
            "AdamW as torch.optim.AdamW (decoupled weight decay θ ← θ·(1 − lr·wd)); arguments: lr (0.001), beta1 (0.9), beta2 (0.999), eps (1e-8), weight_decay (0.01), amsgrad (false)",
            a => new AdamOptimizer(Rate(a, 1e-3), Beta(a, "beta1", 0.9), Beta(a, "beta2", 0.999), Epsilon(a, 1e-8), WeightDecay(a, 0.01), a.GetBool("amsgrad", false),
                decoupledWeightDecay: true));
        Add(services, "radam",
            "Rectified Adam as torch.optim.RAdam (Adam's step only once ρ_t > 5); arguments: lr (0.001), beta1 (0.9), beta2 (0.999), eps (1e-8), weight_decay (0), decoupled_weight_decay (false)",
            a => new RAdamOptimizer(Rate(a, 1e-3), Beta(a, "beta1", 0.9), Beta(a, "beta2", 0.999), Epsilon(a, 1e-8), WeightDecay(a, 0), a.GetBool("decoupled_weight_decay", false)));
        Add(services, "ranger",
            "Ranger: RAdam inside Lookahead; arguments: lr (0.001), beta1 (0.95), beta2 (0.999), eps (1e-5), weight_decay (0), k (6), alpha (0.5)",
            a => new LookaheadOptimizer(
                new RAdamOptimizer(Rate(a, 1e-3), Beta(a, "beta1", 0.95), Beta(a, "beta2", 0.999), Epsilon(a, 1e-5), WeightDecay(a, 0), name: "ranger"),
                a.GetInt("k", 6, min: 1), a.GetDouble("alpha", 0.5, min: 0, max: 1), "ranger"));
        // The inner optimiser is looked up in the catalogue when a lookahead is created (the
        // catalogue exists by then), so it can be any registered optimiser, plugins' included.
        services.AddSingleton<IOptimizerFactory>(provider => new OptimizerFactory(
            "lookahead",
            "Lookahead around any optimiser; arguments: inner (an optimiser name or an object {\"name\": \"adam\", \"lr\": …}, default adam), k (5), alpha (0.5), lr (optional: overrides the inner rate)",
            a => CreateLookahead(a, provider.GetRequiredService<ComponentCatalog>())));
        return services;
    }

    private static LookaheadOptimizer CreateLookahead(ComponentArguments a, ComponentCatalog catalog)
    {
        JsonNode? node = a.GetJson("inner");
        JsonObject innerArguments;
        string innerName;
        switch (node)
        {
            case null:
                innerName = "adam";
                innerArguments = [];
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                innerName = value.GetValue<string>();
                innerArguments = [];
                break;
            case JsonObject obj when obj["name"] is JsonValue name && name.GetValueKind() == JsonValueKind.String:
                innerName = name.GetValue<string>();
                innerArguments = (JsonObject)obj.DeepClone();
                innerArguments.Remove("name");
                break;
            default:
                throw new ConfigurationException($"{a.Owner}: argument 'inner' is {node.ToJsonString()}; expected an optimizer name or an object with a string 'name' and its arguments");
        }
        if (innerName is "lookahead" or "ranger")
        {
            throw new ConfigurationException($"{a.Owner}: argument 'inner' is '{innerName}'; a lookahead cannot wrap another lookahead");
        }
        var innerArgs = new ComponentArguments($"{a.Owner}, inner optimizer '{innerName}'", innerName, innerArguments);
        IOptimizer inner = catalog.Optimizer(innerName).Create(innerArgs);
        try
        {
            innerArgs.ThrowIfUnused();
            if (a.Has("lr"))
            {
                inner.LearningRate = a.GetDouble("lr", min: 0);
            }
            return new LookaheadOptimizer(inner, a.GetInt("k", 5, min: 1), a.GetDouble("alpha", 0.5, min: 0, max: 1));
        }
        catch
        {
            inner.Dispose();
            throw;
        }
    }

    private static void Add(IServiceCollection services, string name, string description, Func<ComponentArguments, IOptimizer> create) =>
        services.AddSingleton<IOptimizerFactory>(new OptimizerFactory(name, description, create));

    private static double Rate(ComponentArguments a, double defaultValue) => a.GetDouble("lr", defaultValue, min: 0);

    private static double WeightDecay(ComponentArguments a, double defaultValue) => a.GetDouble("weight_decay", defaultValue, min: 0);

    private static double Epsilon(ComponentArguments a, double defaultValue) => a.GetDouble("eps", defaultValue, min: 0);

    // β = 1 would freeze the moment at its first value and divide by a zero bias correction.
    private static double Beta(ComponentArguments a, string name, double defaultValue) => a.GetDouble(name, defaultValue, min: 0, max: 0.999999999);
}
