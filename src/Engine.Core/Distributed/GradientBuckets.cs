namespace Engine.Core.Distributed;

/// <summary>
/// How data-parallel training groups gradients for summing: the trainable parameters from the last
/// layer down (the order backward finishes them), cut into buckets of at least a given number of
/// elements, each closed at a layer boundary. Shared by the host (MPI) and device (NCCL) reducers so
/// both sum the same buckets in the same order.
/// </summary>
internal static class GradientBuckets
{
    /// <summary>One bucket: its parameters, the lowest layer index among them (the bucket is ready
    /// once backward has passed that layer) and its element count.</summary>
    internal readonly record struct Members(Parameter[] Parameters, int LowestLayer, int Elements);

    /// <summary>
    /// The buckets of <paramref name="network"/>'s trainable parameters. <paramref name="check"/>
    /// sees every parameter first and throws for one the reducer cannot sum.
    /// </summary>
    public static List<Members> Form(Network network, int bucketElements, Action<Parameter> check)
    {
        var buckets = new List<Members>();
        var members = new List<Parameter>();
        long elements = 0;
        int lowest = int.MaxValue;
        for (int i = network.Layers.Count - 1; i >= 0; i--)
        {
            foreach (Parameter p in network.Layers[i].Parameters)
            {
                if (p.Frozen)
                {
                    continue;
                }
                check(p);
                members.Add(p);
                elements += p.Value.ElementCount;
                lowest = i;
            }
            if (elements >= bucketElements || (i == 0 && members.Count > 0))
            {
                buckets.Add(new Members([.. members], lowest, checked((int)elements)));
                members.Clear();
                elements = 0;
            }
        }
        return buckets;
    }
}
