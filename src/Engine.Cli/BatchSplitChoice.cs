using System.Globalization;
using Engine.Core;

namespace Engine.Cli;

/// <summary><c>--batch-split</c>: sets a network's mode, refuses <c>on</c> for a model that cannot split, and says when batches split.</summary>
internal static class BatchSplitChoice
{
    public static void Apply(Network network, BatchSplitMode? mode, int batchSize, TextWriter? output)
    {
        if (mode is { } chosen)
        {
            network.BatchSplit = chosen;
            if (chosen == BatchSplitMode.On && network.BatchSplitRefusal is { } why)
            {
                throw new ConfigurationException($"--batch-split on: model '{network.Name}' cannot split its batches: {why}");
            }
        }
        if (output is not null && network.SplitsBatch(batchSize) && network.Backend is IParallelWorkers workers)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"split     each batch into {workers.WorkerCount} sub-batches, one per thread, each through the whole network (--batch-split {network.BatchSplit.ToString().ToLowerInvariant()})"));
        }
    }
}
