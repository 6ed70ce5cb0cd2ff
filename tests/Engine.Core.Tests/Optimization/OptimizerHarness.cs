using System.Text.Json.Nodes;

namespace Engine.Core.Tests;

/// <summary>Helpers for the optimiser tests: one-element parameters stepped with chosen gradients, and a linear softmax classifier.</summary>
internal static class OptimizerHarness
{
    /// <summary>Creates optimiser <paramref name="name"/> through the catalogue, as a model file or the CLI would.</summary>
    public static IOptimizer Create(string name, JsonObject? arguments = null)
    {
        var args = new ComponentArguments($"optimizer '{name}'", name, arguments);
        IOptimizer optimizer = TestEngine.Catalog.Optimizer(name).Create(args);
        args.ThrowIfUnused();
        return optimizer;
    }

    /// <summary>Starts a float64 parameter at <paramref name="value"/>, steps it once per gradient and returns the value after each step.</summary>
    public static double[] Trajectory(IOptimizer optimizer, double value, params double[] gradients)
    {
        using IBackend backend = TestEngine.CreateBackend();
        using var p = new Parameter("w", TestEngine.Upload(backend, new Shape(1), [value]), backend.Allocate(new Shape(1), DataType.Float64));
        var values = new double[gradients.Length];
        for (int i = 0; i < gradients.Length; i++)
        {
            backend.CopyFromHost<double>([gradients[i]], p.Gradient);
            optimizer.Step([p]);
            values[i] = TestEngine.Download(p.Value)[0];
        }
        optimizer.Dispose();
        return values;
    }
}

/// <summary>
/// A linear softmax classifier (weight K×D, bias K) on synthetic, linearly separable data: three
/// classes whose inputs are noisy copies of three well-separated centres.
/// </summary>
internal sealed class LinearClassifier : IDisposable
{
    private const int Samples = 60, Features = 4, Classes = 3;
    private readonly IBackend _backend;
    private readonly Tensor _inputs;
    private readonly Tensor _targets;
    private readonly Tensor _logits;
    private readonly SoftmaxCrossEntropyLoss _loss = new();

    public LinearClassifier(IBackend backend, ulong seed = 5)
    {
        _backend = backend;
        var x = new double[Samples * Features];
        var t = new double[Samples * Classes];
        for (int n = 0; n < Samples; n++)
        {
            int c = n % Classes;
            t[n * Classes + c] = 1;
            for (int d = 0; d < Features; d++)
            {
                double centre = d == c ? 2 : -1;
                x[n * Features + d] = centre + 0.3 * CounterRandom.Normal(seed, (ulong)(n * Features + d));
            }
        }
        _inputs = TestEngine.Upload(backend, new Shape(Samples, Features), x);
        _targets = TestEngine.Upload(backend, new Shape(Samples, Classes), t);
        _logits = backend.Allocate(new Shape(Samples, Classes), DataType.Float64);
        Weight = new Parameter("linear.weight", TestEngine.Upload(backend, new Shape(Classes, Features), TestEngine.RandomValues(Classes * Features, seed + 1, 0.1)),
            backend.Allocate(new Shape(Classes, Features), DataType.Float64));
        Bias = new Parameter("linear.bias", TestEngine.Upload(backend, new Shape(Classes), new double[Classes]), backend.Allocate(new Shape(Classes), DataType.Float64));
    }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    public IReadOnlyList<Parameter> Parameters => [Weight, Bias];

    /// <summary>Forward and backward: returns the loss and leaves the gradients in the parameters.</summary>
    public double LossAndGradients()
    {
        _backend.Gemm(false, true, 1, _inputs, Weight.Value, 0, _logits);
        _backend.AddChannelBias(_logits, Bias.Value);
        LossOutput l = _loss.Compute(_logits, _targets);
        _backend.Gemm(true, false, 1, l.Gradient, _inputs, 0, Weight.Gradient);
        _backend.SumChannels(l.Gradient, Bias.Gradient);
        return TestEngine.Download(l.Value)[0];
    }

    /// <summary>Runs <paramref name="steps"/> optimiser steps; returns the loss before the first.</summary>
    public double Train(IOptimizer optimizer, int steps)
    {
        double first = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            double loss = LossAndGradients();
            first = i == 0 ? loss : first;
            optimizer.Step(Parameters);
        }
        return first;
    }

    public double[] Values() => [.. TestEngine.Download(Weight.Value), .. TestEngine.Download(Bias.Value)];

    public void Dispose()
    {
        Weight.Dispose();
        Bias.Dispose();
        _inputs.Dispose();
        _targets.Dispose();
        _logits.Dispose();
        _loss.Dispose();
    }
}
