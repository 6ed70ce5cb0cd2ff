using Engine.Core;
using Engine.Host;

namespace Engine.Cli;

/// <summary>
/// Runs a fixed feature model (the <c>hog</c> layer, fixed filters, …) over many samples once, in
/// inference batches, collecting each sample's features on the host: what <c>engine features</c>
/// writes and what the classical pipeline trains its linear classifier on.
/// </summary>
internal sealed class FeatureExtractor : IDisposable
{
    private const int BatchSize = 256;
    private readonly Network _network;

    public FeatureExtractor(EngineHost host, IBackend backend, ModelSpec spec, Shape sampleShape)
    {
        _network = host.BuildNetwork(spec, backend, sampleShape, seed: 1);
        FeatureCount = checked((int)_network.OutputShape.ElementCount);
    }

    /// <summary>Features per sample.</summary>
    public int FeatureCount { get; }

    /// <summary>The features of <paramref name="count"/> samples, <paramref name="copySample"/>(i, destination) giving sample i.</summary>
    public float[] Extract(int count, Action<int, Span<float>> copySample)
    {
        int sampleSize = checked((int)_network.InputShape.ElementCount);
        var features = new float[checked((long)count * FeatureCount)];
        var batch = new float[BatchSize * sampleSize];
        for (int start = 0; start < count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, count - start);
            for (int i = 0; i < n; i++)
            {
                copySample(start + i, batch.AsSpan(i * sampleSize, sampleSize));
            }
            using Tensor input = _network.Backend.Allocate(_network.InputShape.WithBatch(n));
            _network.Backend.CopyFromHost<float>(batch.AsSpan(0, n * sampleSize), input);
            Tensor output = _network.Forward(input, training: false);
            _network.Backend.CopyToHost<float>(output, features.AsSpan(start * FeatureCount, n * FeatureCount));
        }
        return features;
    }

    public void Dispose() => _network.Dispose();
}
