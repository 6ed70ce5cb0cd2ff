using Engine.Core;

namespace Engine.Conformance;

/// <summary>
/// Finite-difference checks through the backend (float64 where claimed): for L = Σ y·r with a fixed
/// r, the backward pass's gradients of the input and every parameter must match central differences
/// (h = 1e-6: truncation ~h², rounding ~1e-16/h) on a spread sample of at most 12 elements per tensor.
/// </summary>
internal static class GradientCheckCases
{
    private const double H = 1e-6;
    private const int SamplesPerTensor = 12;

    public static IEnumerable<KitCase> Cases(KitEnvironment environment)
    {
        if (environment.Catalog is null)
        {
            yield break;
        }
        foreach (LayerSetup setup in LayerCases.LayerSetups(environment))
        {
            var needs = new OpDescriptor(BackendOp.Memory, DataType.Float64);
            yield return new KitCase($"gradient check float64 {setup}", [needs], DataType.Float64, c => Check(c, environment, setup)) { BlameFirstNeed = false };
        }
    }

    private static void Check(CaseContext c, KitEnvironment environment, LayerSetup setup)
    {
        using Network reference = NetworkRun.Reference(environment, setup);
        if (NetworkRun.FirstMissing(reference, c.Backend, DataType.Float64) is { } missing)
        {
            throw new CaseSkipped($"not claimed by the backend ({missing})");
        }
        var (xValues, r) = NetworkRun.Data(reference);
        using Network net = Network.Build(setup.Spec, environment.Catalog!, c.Backend, setup.Sample, NetworkRun.Seed, DataType.Float64);
        Tensor x = c.Upload(net.InputShape.WithBatch(NetworkRun.Batch), xValues);
        Tensor tr = c.Upload(net.OutputShape.WithBatch(NetworkRun.Batch), r);

        double Loss() => CaseContext.Download(net.Forward(x, training: true)).Select((y, i) => y * r[i]).Sum();
        if (Loss() != Loss())
        {
            throw new CaseSkipped("its training-mode forward pass is not a function of its input (it draws a new mask per pass)");
        }
        net.Forward(x, training: true);
        double[] inputGradient = CaseContext.Download(net.Backward(tr));
        var checks = net.Parameters.Select(p => (p.Name, Tensor: p.Value, Analytic: CaseContext.Download(p.Gradient)))
            .Append(("input", x, inputGradient)).ToList();
        foreach (var (name, tensor, analytic) in checks)
        {
            double[] values = CaseContext.Download(tensor);
            int[] indices = Enumerable.Range(0, SamplesPerTensor).Select(k => (int)((long)k * values.Length / SamplesPerTensor)).Distinct().ToArray();
            var numeric = new double[indices.Length];
            for (int j = 0; j < indices.Length; j++)
            {
                int i = indices[j];
                double saved = values[i];
                values[i] = saved + H;
                c.Backend.CopyFromHost<double>(values, tensor);
                double plus = Loss();
                values[i] = saved - H;
                c.Backend.CopyFromHost<double>(values, tensor);
                double minus = Loss();
                values[i] = saved;
                c.Backend.CopyFromHost<double>(values, tensor);
                numeric[j] = (plus - minus) / (2 * H);
            }
            Compare.Close(numeric, indices.Select(i => analytic[i]).ToArray(), 1e-5, $"d/d{name} (backward vs central difference, elements {CaseContext.Join(indices)})");
        }
    }
}
