namespace Engine.Core.Distributed;

/// <summary>
/// The gradient sums of <c>--distributed nccl</c>: the buckets of <see cref="GradientReducer"/> (the
/// same parameters together, filled from the last layer backwards), each scaled on the device by
/// this rank's share of the global batch and summed in place by the backend's collectives
/// (<see cref="IDeviceGroup.Sum"/>: one NCCL group per bucket) on the backend's stream, queued as
/// soon as backward has passed the bucket's first layer. Nothing passes through host memory and
/// nothing waits on the host: the stream orders the sums before the optimiser step that reads them.
/// </summary>
internal sealed class DeviceGradientReducer : IGradientReducer
{
    private readonly IDeviceGroup _group;
    private readonly (Tensor[] Gradients, int LowestLayer)[] _buckets;
    private readonly bool _overlap;
    private int _next;
    private double _weight;

    public DeviceGradientReducer(Network network, DistributedOptions options, IDeviceGroup group)
    {
        _group = group;
        _overlap = options.Overlap;
        var buckets = new List<(Tensor[], int)>();
        var members = new List<Tensor>();
        long elements = 0;
        int lowest = int.MaxValue;
        for (int i = network.Layers.Count - 1; i >= 0; i--)
        {
            foreach (Parameter p in network.Layers[i].Parameters.Where(p => !p.Frozen))
            {
                if (p.Value.DataType != DataType.Float32 || p.Gradient.Backend is not IDeviceCollectives)
                {
                    throw new ConfigurationException($"--distributed nccl sums float32 gradients on the GPU; parameter '{p.Name}' is {p.Value.DataType} on backend '{p.Gradient.Backend.Name}' (a layer on a fallback backend?): use --distributed mpi");
                }
                members.Add(p.Gradient);
                elements += p.Value.ElementCount;
                lowest = i;
            }
            if (elements >= options.BucketElements || (i == 0 && members.Count > 0))
            {
                buckets.Add(([.. members], lowest));
                members.Clear();
                elements = 0;
            }
        }
        _buckets = [.. buckets];
    }

    public void Begin(double weight, bool hasExamples)
    {
        _next = 0;
        _weight = hasExamples ? weight : 0;
    }

    public void LayerDone(int layer)
    {
        while (_overlap && _next < _buckets.Length && _buckets[_next].LowestLayer >= layer)
        {
            Start(_buckets[_next++].Gradients);
        }
    }

    public void Finish()
    {
        while (_next < _buckets.Length)
        {
            Start(_buckets[_next++].Gradients);
        }
    }

    // The sums wait on the device, in the stream's order: the host never waits for them here.
    public TimeSpan TakeWaitTime() => TimeSpan.Zero;

    public void Dispose()
    {
        // The group belongs to the communicator, which outlives the run.
    }

    private void Start(Tensor[] gradients)
    {
        foreach (Tensor g in gradients)
        {
            if (_weight == 0)
            {
                g.Backend.Fill(g, 0); // no examples this step: contribute nothing (the gradient may be stale)
            }
            else if (_weight != 1)
            {
                g.Backend.Axpby(_weight, g, 0, g); // rounds the weight to float32, as the host path does
            }
        }
        _group.Sum(gradients);
    }
}
