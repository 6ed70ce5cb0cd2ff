using Engine.Core;

namespace Engine.Conformance;

/// <summary>
/// Every registered layer kind, forward and backward (input and parameter gradients) through the
/// backend, against the reference backend in float64 with the same seed (the counter RNG gives both
/// the same initial weights up to rounding).
/// </summary>
internal static class LayerCases
{
    public static IEnumerable<KitCase> Cases(KitEnvironment environment)
    {
        if (environment.Catalog is null)
        {
            yield break;
        }
        foreach (LayerSetup setup in LayerSetups(environment))
        {
            foreach (DataType type in ConformanceKit.FloatTypes)
            {
                // Whole networks stack several roundings of float32 weights and activations.
                yield return new KitCase($"layer {type.ToString().ToLowerInvariant()} {setup}", [new OpDescriptor(BackendOp.Memory, type)], type, c => Check(c, environment, setup)) { ToleranceFactor = 10, BlameFirstNeed = false };
            }
        }
    }

    internal static IEnumerable<LayerSetup> LayerSetups(KitEnvironment environment) =>
        LayerSetup.For(environment.Catalog!.Layers.Select(l => l.Name));

    private static void Check(CaseContext c, KitEnvironment environment, LayerSetup setup)
    {
        using Network reference = NetworkRun.Reference(environment, setup);
        if (NetworkRun.FirstMissing(reference, c.Backend, c.Type) is { } missing)
        {
            throw new CaseSkipped($"not claimed by the backend ({missing})");
        }
        var (x, dy) = NetworkRun.Data(reference);
        var expected = NetworkRun.Run(reference, DataType.Float64, x, dy);
        using Network net = Network.Build(setup.Spec, environment.Catalog!, c.Backend, setup.Sample, NetworkRun.Seed, c.Type);
        var actual = NetworkRun.Run(net, c.Type, x, dy);
        c.Close(expected.Output, actual.Output, "forward y");
        c.Close(expected.InputGradient, actual.InputGradient, "d/dinput");
        for (int i = 0; i < expected.Parameters.Count; i++)
        {
            c.Close(expected.Parameters[i].Gradient, actual.Parameters[i].Gradient, $"d/d{expected.Parameters[i].Name}");
        }
    }
}
