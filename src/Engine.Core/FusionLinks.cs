namespace Engine.Core;

/// <summary>
/// The links along which fusion plans (<see cref="InferenceFusion"/>, <see cref="TrainingFusion"/>)
/// may join two layers: the second is the only reader of the first one's output (no other layer, no
/// auxiliary loss, not the network's output), reads nothing else, and runs on the same backend.
/// </summary>
internal static class FusionLinks
{
    /// <summary>Per layer, the layer that a fusion may join to it (−1: none).</summary>
    /// <param name="inputs">Per layer, the layers it reads (−1: the model input).</param>
    /// <param name="readers">Per layer, how many layers and auxiliary losses read its output.</param>
    /// <param name="placement">The backend of each layer.</param>
    public static int[] Next(IReadOnlyList<int[]> inputs, IReadOnlyList<int> readers, IReadOnlyList<IBackend> placement)
    {
        int count = inputs.Count;
        int[] reader = OnlyReader(inputs, readers);
        var next = new int[count];
        for (int layer = 0; layer < count; layer++)
        {
            next[layer] = layer < count - 1 && reader[layer] is int r and >= 0 && inputs[r].Length == 1 && placement[r] == placement[layer] ? r : -1;
        }
        return next;
    }

    /// <summary>Per layer, the layer reading its output when that is its only reader (whatever else that layer reads), −1: none or several.</summary>
    public static int[] OnlyReader(IReadOnlyList<int[]> inputs, IReadOnlyList<int> readers)
    {
        var reader = new int[inputs.Count];
        Array.Fill(reader, -1);
        for (int i = 0; i < inputs.Count; i++)
        {
            foreach (int source in inputs[i])
            {
                if (source >= 0 && readers[source] == 1)
                {
                    reader[source] = i;
                }
            }
        }
        return reader;
    }
}
