using Engine.Core;

namespace Engine.Conformance;

/// <summary>Builds a layer setup's network on a backend and runs it forward and backward with seeded data.</summary>
internal static class NetworkRun
{
    public const int Batch = 3;
    public const ulong Seed = 3;

    /// <summary>The ops the setup needs in <paramref name="type"/> that <paramref name="backend"/> does not claim (from the reference's layers).</summary>
    public static OpDescriptor? FirstMissing(Network reference, IBackend backend, DataType type)
    {
        for (int i = 0; i < reference.Layers.Count; i++)
        {
            Shape[] inputs = reference.Inputs[i].Select(s => s < 0 ? reference.InputShape : reference.OutputShapes[s]).ToArray();
            OpDescriptor? missing = reference.Layers[i].RequiredOps(inputs, type).FirstOrDefault(d => !backend.Supports(d));
            if (missing is not null)
            {
                return missing;
            }
        }
        return null;
    }

    /// <summary>Builds the reference network in float64; a setup the reference refuses is a skip, not the backend's failure.</summary>
    public static Network Reference(KitEnvironment environment, LayerSetup setup)
    {
        if (environment.Reference is null || environment.Catalog is null)
        {
            throw new CaseSkipped("no reference backend and catalogue given");
        }
        try
        {
            return Network.Build(setup.Spec, environment.Catalog, environment.Reference, setup.Sample, Seed, DataType.Float64);
        }
        catch (EngineException e)
        {
            throw new CaseSkipped($"the reference cannot build it: {e.Message}");
        }
    }

    /// <summary>Input and output gradient, rounded to float32 so every run sees the same data.</summary>
    public static (double[] X, double[] Dy) Data(Network net)
    {
        Shape x = net.InputShape.WithBatch(Batch), y = net.OutputShape.WithBatch(Batch);
        double[] Values(long count, ulong seed) => Enumerable.Range(0, (int)count).Select(i => (double)(float)CounterRandom.Normal(seed, (ulong)i)).ToArray();
        return (Values(x.ElementCount, 5), Values(y.ElementCount, 6));
    }

    /// <summary>Output, input gradient and parameter gradients of one training-mode pass.</summary>
    public static (double[] Output, double[] InputGradient, List<(string Name, double[] Gradient)> Parameters) Run(Network net, DataType type, double[] x, double[] dy)
    {
        IBackend backend = net.Backend;
        net.ComputeInputGradient = true; // compared like every other gradient
        using Tensor tx = HostData.Upload(backend, net.InputShape.WithBatch(Batch), x, type);
        using Tensor tdy = HostData.Upload(backend, net.OutputShape.WithBatch(Batch), dy, type);
        double[] output = HostData.Download(net.Forward(tx, training: true));
        double[] inputGradient = HostData.Download(net.Backward(tdy)!);
        return (output, inputGradient, net.Parameters.Select(p => (p.Name, HostData.Download(p.Gradient))).ToList());
    }
}
