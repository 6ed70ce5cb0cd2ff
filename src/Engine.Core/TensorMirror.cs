namespace Engine.Core;

/// <summary>
/// Keeps tensors equal to others of the same shapes (a copy of a network's weights and running statistics
/// for one thread of the inference split), copying a pair only when either side was written since its last
/// copy: the source's <see cref="TensorStorage.Version"/> moved (an optimiser step, a checkpoint or
/// state-dict load, a host upload, any backend op writing it) or the target's did (something wrote the
/// copy). Equal versions of a storage mean equal contents, so a skipped copy would have copied the same bits.
/// </summary>
internal sealed class TensorMirror(IReadOnlyList<Tensor> sources, IReadOnlyList<Tensor> targets)
{
    private readonly Tensor[] _sources = Checked(sources, targets);
    private readonly Tensor[] _targets = [.. targets];
    private readonly long[] _sourceVersions = Unknown(sources.Count);
    private readonly long[] _targetVersions = Unknown(sources.Count);

    /// <summary>
    /// Whether unchanged pairs are skipped (default); <c>ENGINE_SPLIT_MIRROR=off</c> copies every pair every time,
    /// as the split did before versions existed (the reference, for A/B measurements).
    /// </summary>
    internal static bool SkipUnchanged { get; set; } = Environment.GetEnvironmentVariable("ENGINE_SPLIT_MIRROR") != "off";

    /// <summary>Tensors copied so far (every pair counts once per copy); for tests and profiles.</summary>
    public long Copies { get; private set; }

    /// <summary>Copies each pair whose source or target changed since its last copy (all of them the first time).</summary>
    public void Refresh(IBackend backend)
    {
        for (int i = 0; i < _sources.Length; i++)
        {
            long source = _sources[i].Storage.Version;
            if (SkipUnchanged && source == _sourceVersions[i] && _targets[i].Storage.Version == _targetVersions[i])
            {
                continue;
            }
            backend.Copy(_sources[i], _targets[i]);
            _sourceVersions[i] = source;
            _targetVersions[i] = _targets[i].Storage.Version; // the copy's own bump
            Copies++;
        }
    }

    private static Tensor[] Checked(IReadOnlyList<Tensor> sources, IReadOnlyList<Tensor> targets)
    {
        if (sources.Count != targets.Count)
        {
            throw new ArgumentException($"{sources.Count} source tensors but {targets.Count} targets");
        }
        return [.. sources];
    }

    private static long[] Unknown(int count)
    {
        long[] versions = new long[count];
        Array.Fill(versions, -1);
        return versions;
    }
}
