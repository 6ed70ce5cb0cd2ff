using System.Text.Json.Nodes;

namespace Engine.Conformance;

/// <summary>
/// Every registered optimiser, three steps on two parameters through the backend, against the same
/// optimiser on the reference backend in float64. Known optimisers get arguments that switch their
/// options on (momentum, Nesterov, weight decay, centring, AMSGrad); others run with their defaults.
/// </summary>
internal static class OptimizerCases
{
    private static readonly Dictionary<string, string> Arguments = new(StringComparer.Ordinal)
    {
        ["sgd"] = """{"lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 0.01}""",
        ["adagrad"] = """{"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01}""",
        ["rmsprop"] = """{"lr": 0.01, "momentum": 0.5, "centered": true, "weight_decay": 0.01}""",
        ["adam"] = """{"lr": 0.01, "amsgrad": true, "weight_decay": 0.01}""",
        ["adamw"] = """{"lr": 0.01, "weight_decay": 0.1}""",
        ["radam"] = """{"lr": 0.01, "beta2": 0.9, "weight_decay": 0.01}""",
        ["lookahead"] = """{"k": 2, "inner": {"name": "sgd", "lr": 0.1, "momentum": 0.9}}""",
        ["ranger"] = """{"lr": 0.01, "k": 2}""",
    };

    private static readonly Shape[] Shapes = [new(5, 3), new(7)];

    public static IEnumerable<KitCase> Cases(KitEnvironment environment)
    {
        if (environment.Catalog is null)
        {
            yield break;
        }
        foreach (IOptimizerFactory factory in environment.Catalog.Optimizers.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            string arguments = Arguments.GetValueOrDefault(factory.Name, "{}");
            foreach (DataType type in ConformanceKit.FloatTypes)
            {
                yield return new KitCase($"optimizer {factory.Name} {type.ToString().ToLowerInvariant()} {arguments} 3 steps", [new OpDescriptor(BackendOp.Memory, type)], type,
                    c => Check(c, environment, factory, arguments))
                { ToleranceFactor = 10, BlameFirstNeed = false };
            }
        }
    }

    private static IOptimizer Create(IOptimizerFactory factory, string arguments) =>
        factory.Create(new ComponentArguments($"optimizer '{factory.Name}'", factory.Name, JsonNode.Parse(arguments)!.AsObject()));

    private static List<double[]> Steps(IBackend backend, IOptimizerFactory factory, string arguments, DataType type)
    {
        using IOptimizer optimizer = Create(factory, arguments);
        var parameters = Shapes.Select((s, i) => new Parameter($"p{i}",
            HostData.Upload(backend, s, Values(s.ElementCount, (ulong)(100 + i)), type),
            backend.Allocate(s, type))).ToList();
        try
        {
            for (int step = 0; step < 3; step++)
            {
                for (int i = 0; i < parameters.Count; i++)
                {
                    HostData.CopyFromHost(Values(Shapes[i].ElementCount, (ulong)(200 + (10 * step) + i)), parameters[i].Gradient);
                }
                optimizer.Step(parameters);
            }
            return parameters.Select(p => HostData.Download(p.Value)).ToList();
        }
        finally
        {
            parameters.ForEach(p => p.Dispose());
        }
    }

    private static double[] Values(long count, ulong seed) =>
        Enumerable.Range(0, (int)count).Select(i => (double)(float)CounterRandom.Normal(seed, (ulong)i)).ToArray();

    private static void Check(CaseContext c, KitEnvironment environment, IOptimizerFactory factory, string arguments)
    {
        if (environment.Reference is null)
        {
            throw new CaseSkipped("no reference backend given");
        }
        using (IOptimizer probe = Create(factory, arguments))
        {
            if (probe.RequiredOps(c.Type).FirstOrDefault(d => !c.Backend.Supports(d)) is { } missing)
            {
                throw new CaseSkipped($"not claimed by the backend ({missing})");
            }
        }
        List<double[]> expected = Steps(environment.Reference, factory, arguments, DataType.Float64);
        List<double[]> actual = Steps(c.Backend, factory, arguments, c.Type);
        for (int i = 0; i < expected.Count; i++)
        {
            c.Close(expected[i], actual[i], $"p{i} after 3 steps");
        }
    }
}
