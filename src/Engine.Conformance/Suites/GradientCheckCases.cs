using Engine.Core;

namespace Engine.Conformance;

/// <summary>
/// Finite-difference checks through the backend: for L = Σ y·r with a fixed r, the backward pass's
/// gradients of the input and every parameter must match central differences on a spread sample of
/// at most 12 elements per tensor. In float64 (h = 1e-6: truncation ~h², rounding ~1e-16/h) to 1e-5;
/// where the backend does not claim float64 for a layer, in float32 instead (h = 1e-2, to 2e-2).
/// </summary>
internal static class GradientCheckCases
{
    private const int SamplesPerTensor = 12;

    public static IEnumerable<KitCase> Cases(KitEnvironment environment)
    {
        if (environment.Catalog is null)
        {
            yield break;
        }
        foreach (LayerSetup setup in LayerCases.LayerSetups(environment))
        {
            foreach (DataType type in new[] { DataType.Float64, DataType.Float32 })
            {
                var needs = new OpDescriptor(BackendOp.Memory, type);
                yield return new KitCase($"gradient check {type.ToString().ToLowerInvariant()} {setup}", [needs], type, c => Check(c, environment, setup)) { BlameFirstNeed = false };
            }
        }
    }

    private static void Check(CaseContext c, KitEnvironment environment, LayerSetup setup)
    {
        using Network reference = NetworkRun.Reference(environment, setup);
        OpDescriptor? missing64 = NetworkRun.FirstMissing(reference, c.Backend, DataType.Float64);
        if (c.Type == DataType.Float32 && missing64 is null && c.Backend.Supports(new OpDescriptor(BackendOp.Memory, DataType.Float64)))
        {
            throw new CaseSkipped("checked in float64, which the backend claims for this layer");
        }
        if (NetworkRun.FirstMissing(reference, c.Backend, c.Type) is { } missing)
        {
            throw new CaseSkipped($"not claimed by the backend ({missing})");
        }
        (double h, double tolerance) = c.Type == DataType.Float64 ? (1e-6, 1e-5) : (1e-2, 2e-2);
        var (xValues, r) = NetworkRun.Data(reference);
        using Network net = Network.Build(setup.Spec, environment.Catalog!, c.Backend, setup.Sample, NetworkRun.Seed, c.Type);
        net.ComputeInputGradient = true; // the input is checked like a parameter
        Tensor x = c.Upload(net.InputShape.WithBatch(NetworkRun.Batch), xValues);
        Tensor tr = c.Upload(net.OutputShape.WithBatch(NetworkRun.Batch), r);

        double Loss() => CaseContext.Download(net.Forward(x, training: true)).Select((y, i) => y * r[i]).Sum();
        if (Loss() != Loss())
        {
            throw new CaseSkipped("its training-mode forward pass is not a function of its input (it draws a new mask per pass)");
        }
        net.Forward(x, training: true);
        double[] inputGradient = CaseContext.Download(net.Backward(tr)!);
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
                // The step actually taken is the difference of the rounded values (float32 rounds x ± h).
                double up = c.Round(saved + h), down = c.Round(saved - h);
                values[i] = up;
                HostData.CopyFromHost(values, tensor);
                double plus = Loss();
                values[i] = down;
                HostData.CopyFromHost(values, tensor);
                double minus = Loss();
                values[i] = saved;
                HostData.CopyFromHost(values, tensor);
                numeric[j] = (plus - minus) / (up - down);
            }
            Compare.Close(numeric, indices.Select(i => analytic[i]).ToArray(), tolerance, $"d/d{name} (backward vs central difference, elements {CaseContext.Join(indices)})");
        }
    }
}
