using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>Helpers for loss tests: creation through the catalogue, and a float64 finite-difference check of d(loss)/d(predictions).</summary>
internal static class LossChecks
{
    private const double H = 1e-6;

    /// <summary>Creates a registered loss from JSON arguments, as a caller of the catalogue would.</summary>
    public static ILoss Create(string name, string argumentsJson = "{}")
    {
        var args = new ComponentArguments($"loss '{name}'", name, JsonNode.Parse(argumentsJson)!.AsObject());
        ILoss loss = TestEngine.Catalog.Loss(name).Create(args);
        args.ThrowIfUnused();
        return loss;
    }

    /// <summary>Loss value and gradient for host predictions and targets of shape <paramref name="shape"/>.</summary>
    public static (double Value, double[] Gradient) Evaluate(ILoss loss, IBackend backend, Shape shape, double[] predictions, double[] targets)
    {
        using Tensor z = TestEngine.Upload(backend, shape, predictions);
        using Tensor t = TestEngine.Upload(backend, shape, targets);
        LossOutput output = loss.Compute(z, t);
        return (TestEngine.Download(output.Value)[0], TestEngine.Download(output.Gradient));
    }

    /// <summary>Compares the loss's gradient with central differences (h = 1e-6) at every element.</summary>
    public static void GradientMatchesFiniteDifferences(ILoss loss, Shape shape, double[] predictions, double[] targets)
    {
        using IBackend backend = TestEngine.CreateBackend();
        double[] analytic = Evaluate(loss, backend, shape, predictions, targets).Gradient;
        for (int i = 0; i < predictions.Length; i++)
        {
            double[] plus = (double[])predictions.Clone(), minus = (double[])predictions.Clone();
            plus[i] += H;
            minus[i] -= H;
            double numeric = (Evaluate(loss, backend, shape, plus, targets).Value - Evaluate(loss, backend, shape, minus, targets).Value) / (2 * H);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-8 + 1e-6 * Math.Abs(numeric),
                $"loss '{loss.Name}' d/dz[{i}]: finite difference {numeric:G12}, gradient {analytic[i]:G12}");
        }
    }

    /// <summary>N one-hot rows of K classes, row i of class (3i + 1) mod K.</summary>
    public static double[] OneHot(int n, int k)
    {
        var t = new double[n * k];
        for (int i = 0; i < n; i++)
        {
            t[(i * k) + ((3 * i) + 1) % k] = 1;
        }
        return t;
    }
}
