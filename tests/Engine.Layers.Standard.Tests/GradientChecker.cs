namespace Engine.Layers.Standard.Tests;

/// <summary>
/// Finite-difference gradient check of one layer in float64 (Caffe's GradientChecker is the model).
/// The scalar checked is L = Σ r ⊙ layer(x) for a fixed random r, so dL/dy = r; every element of the
/// input and of every parameter is perturbed by ±h and the central difference compared with what
/// Backward produced. With h = 1e-6 in float64 the truncation error is ~h² and rounding ~1e-10, so
/// the default tolerance (1e-6 absolute + 1e-5 relative) is sharp. Layers with kinks (ReLU, max
/// pooling) need inputs away from the kinks; callers choose such inputs.
/// </summary>
internal static class GradientChecker
{
    public static void Check(ILayer layer, IBackend backend, Shape sampleShape, int batch, double[]? input = null,
        ulong seed = 7, double h = 1e-6, double absolute = 1e-6, double relative = 1e-5, bool training = true)
    {
        Shape inputShape = sampleShape.WithBatch(batch);
        input ??= LayerHarness.Random((int)inputShape.ElementCount, seed);
        using Tensor x = LayerHarness.Upload(backend, inputShape, input);
        Shape outputShape = layer.InferOutputShape(sampleShape).WithBatch(batch);
        double[] r = LayerHarness.Random((int)outputShape.ElementCount, seed + 1);
        using Tensor dy = LayerHarness.Upload(backend, outputShape, r);

        Tensor y = layer.Forward(x, training);
        Assert.Equal(outputShape, y.Shape);
        double[] inputGradient = LayerHarness.Download(layer.Backward(dy));
        var targets = layer.Parameters.Select(p => (p.Name, Tensor: p.Value, Analytic: LayerHarness.Download(p.Gradient)))
            .Prepend(("input", x, inputGradient)).ToList();

        double Loss()
        {
            double[] output = LayerHarness.Download(layer.Forward(x, training));
            double sum = 0;
            for (int i = 0; i < output.Length; i++)
            {
                sum += r[i] * output[i];
            }
            return sum;
        }

        foreach (var (name, tensor, analytic) in targets)
        {
            double[] values = LayerHarness.Download(tensor);
            for (int i = 0; i < values.Length; i++)
            {
                double saved = values[i];
                values[i] = saved + h;
                backend.CopyFromHost<double>(values, tensor);
                double plus = Loss();
                values[i] = saved - h;
                backend.CopyFromHost<double>(values, tensor);
                double minus = Loss();
                values[i] = saved;
                backend.CopyFromHost<double>(values, tensor);
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= absolute + relative * Math.Abs(numeric),
                    $"layer '{layer.Name}' ({layer.Kind}) d/d{name}[{i}]: finite difference {numeric:G12}, backward {analytic[i]:G12}");
            }
        }
    }
}
