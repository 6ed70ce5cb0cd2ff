namespace Engine.Conformance;

/// <summary>
/// Every registered loss through the backend against the reference backend in float64: value and
/// gradient, with one-hot (N×K) targets and with Int32 class indices (where the reference takes them).
/// </summary>
internal static class LossCases
{
    private const int Rows = 4, Classes = 5;
    private static readonly int[] Labels = [3, 0, 4, 1];

    public static IEnumerable<KitCase> Cases(KitEnvironment environment)
    {
        if (environment.Catalog is null)
        {
            yield break;
        }
        foreach (ILossFactory factory in environment.Catalog.Losses.OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            foreach (DataType type in ConformanceKit.FloatTypes)
            {
                foreach (bool indices in new[] { false, true })
                {
                    string targets = indices ? "int32 class indices" : "one-hot targets";
                    yield return new KitCase($"loss {factory.Name} {type.ToString().ToLowerInvariant()} [{Rows},{Classes}] {targets}", [new OpDescriptor(BackendOp.Memory, type)], type,
                        c => Check(c, environment, factory, indices))
                    { ToleranceFactor = 10, BlameFirstNeed = false };
                }
            }
        }
    }

    private static ILoss Create(ILossFactory factory) => factory.Create(new ComponentArguments($"loss '{factory.Name}'", factory.Name, null));

    private static (double Value, double[] Gradient) Compute(IBackend backend, ILossFactory factory, DataType type, bool indices)
    {
        using ILoss loss = Create(factory);
        var shape = new Shape(Rows, Classes);
        double[] logits = Enumerable.Range(0, Rows * Classes).Select(i => (double)(float)(2 * CounterRandom.Normal(81, (ulong)i))).ToArray();
        using Tensor predictions = HostData.Upload(backend, shape, logits, type);
        double[] oneHot = new double[Rows * Classes];
        for (int n = 0; n < Rows; n++)
        {
            oneHot[(n * Classes) + Labels[n]] = 1;
        }
        using Tensor targets = indices ? HostData.UploadLabels(backend, Labels) : HostData.Upload(backend, shape, oneHot, type);
        LossOutput output = loss.Compute(predictions, targets);
        return (HostData.Download(output.Value)[0], HostData.Download(output.Gradient));
    }

    private static void Check(CaseContext c, KitEnvironment environment, ILossFactory factory, bool indices)
    {
        if (environment.Reference is null)
        {
            throw new CaseSkipped("no reference backend given");
        }
        using (ILoss probe = Create(factory))
        {
            if (probe.RequiredOps(new Shape(Rows, Classes), c.Type).FirstOrDefault(d => !c.Backend.Supports(d)) is { } missing)
            {
                throw new CaseSkipped($"not claimed by the backend ({missing})");
            }
        }
        if (indices && !c.Backend.Supports(new OpDescriptor(BackendOp.Memory, DataType.Int32)))
        {
            throw new CaseSkipped($"not claimed by the backend ({new OpDescriptor(BackendOp.Memory, DataType.Int32)})");
        }
        (double Value, double[] Gradient) expected;
        try
        {
            expected = Compute(environment.Reference, factory, DataType.Float64, indices);
        }
        catch (Exception e) when (e is EngineException or ArgumentException or NotSupportedException)
        {
            throw new CaseSkipped($"the reference refuses it: {e.Message}");
        }
        var actual = Compute(c.Backend, factory, c.Type, indices);
        c.Close([expected.Value], [actual.Value], "value");
        c.Close(expected.Gradient, actual.Gradient, "gradient");
    }
}
