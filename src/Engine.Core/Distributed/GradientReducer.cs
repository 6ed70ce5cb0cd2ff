using System.Diagnostics;

namespace Engine.Core.Distributed;

/// <summary>
/// Sums the trainable parameters' gradients over the ranks in buckets. Buckets are filled from the
/// last layer backwards, the order backward produces gradients in, so that once backward has passed
/// a bucket's first layer (<see cref="LayerDone"/>) its gradients are copied to its host buffer,
/// scaled by this rank's share of the global batch, and a non-blocking sum starts while backward
/// goes on; <see cref="Finish"/> starts what is left, waits, and copies the totals back. Any
/// backend works: gradients pass through host memory (<see cref="IBackend.CopyToHost{T}"/>).
/// </summary>
internal sealed class GradientReducer : IGradientReducer
{
    private readonly Bucket[] _buckets;
    private readonly bool _overlap;
    private int _next;
    private float _weight;
    private long _waitTicks;

    public GradientReducer(Network network, DistributedOptions options)
    {
        _overlap = options.Overlap;
        var buckets = new List<Bucket>();
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
                if (p.Value.DataType != DataType.Float32)
                {
                    throw new ConfigurationException($"distributed training sums float32 gradients; parameter '{p.Name}' is {p.Value.DataType}");
                }
                members.Add(p);
                elements += p.Value.ElementCount;
                lowest = i;
            }
            if (elements >= options.BucketElements || (i == 0 && members.Count > 0))
            {
                buckets.Add(new Bucket([.. members], lowest, checked((int)elements), options.Communicator));
                members.Clear();
                elements = 0;
            }
        }
        _buckets = [.. buckets];
    }

    /// <summary>How many buckets the gradients are summed in.</summary>
    public int BucketCount => _buckets.Length;

    /// <summary>Time this rank spent waiting for sums to complete since the last <see cref="TakeWaitTime"/>.</summary>
    public TimeSpan TakeWaitTime()
    {
        var time = TimeSpan.FromTicks(_waitTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
        _waitTicks = 0;
        return time;
    }

    /// <summary>
    /// A step begins: this rank's gradients will be multiplied by <paramref name="weight"/> (its
    /// examples over the global batch's), or count as zero when <paramref name="hasExamples"/> is false.
    /// </summary>
    public void Begin(double weight, bool hasExamples)
    {
        _next = 0;
        _weight = hasExamples ? (float)weight : 0f;
    }

    /// <summary>Backward has finished layer <paramref name="layer"/>: start the buckets it completed.</summary>
    public void LayerDone(int layer)
    {
        if (!_overlap)
        {
            return;
        }
        while (_next < _buckets.Length && _buckets[_next].LowestLayer >= layer)
        {
            _buckets[_next++].Start(_weight);
        }
        for (int k = 0; k < _next; k++)
        {
            _buckets[k].Progress(); // MPI progresses non-blocking collectives only inside MPI calls
        }
    }

    /// <summary>Starts the buckets not started yet, waits for all, and writes the sums into the gradients.</summary>
    public void Finish()
    {
        while (_next < _buckets.Length)
        {
            _buckets[_next++].Start(_weight);
        }
        long start = Stopwatch.GetTimestamp();
        foreach (Bucket bucket in _buckets)
        {
            bucket.Wait();
        }
        _waitTicks += Stopwatch.GetTimestamp() - start;
        foreach (Bucket bucket in _buckets)
        {
            bucket.CopyBack();
        }
    }

    public void Dispose()
    {
        foreach (Bucket bucket in _buckets)
        {
            bucket.Dispose();
        }
    }

    private sealed class Bucket : IDisposable
    {
        private readonly Parameter[] _parameters;
        private readonly float[] _buffer;
        private readonly IAsyncSum _sum;

        public Bucket(Parameter[] parameters, int lowestLayer, int elements, ICommunicator communicator)
        {
            _parameters = parameters;
            LowestLayer = lowestLayer;
            _buffer = new float[elements];
            _sum = communicator.CreateSum(_buffer);
        }

        public int LowestLayer { get; }

        public void Start(float weight)
        {
            int offset = 0;
            foreach (Parameter p in _parameters)
            {
                int n = checked((int)p.Value.ElementCount);
                Span<float> part = _buffer.AsSpan(offset, n);
                if (weight == 0f)
                {
                    part.Clear(); // no examples this step: contribute nothing (the gradient may be stale)
                }
                else
                {
                    p.Gradient.Backend.CopyToHost<float>(p.Gradient, part);
                    Scale(part, weight);
                }
                offset += n;
            }
            _sum.Start();
        }

        public void Progress() => _sum.Test();

        public void Wait() => _sum.Wait();

        public void CopyBack()
        {
            int offset = 0;
            foreach (Parameter p in _parameters)
            {
                int n = checked((int)p.Value.ElementCount);
                p.Gradient.Backend.CopyFromHost<float>(_buffer.AsSpan(offset, n), p.Gradient);
                offset += n;
            }
        }

        public void Dispose() => _sum.Dispose();

        private static void Scale(Span<float> values, float weight)
        {
            if (weight == 1f)
            {
                return;
            }
            for (int i = 0; i < values.Length; i++)
            {
                values[i] *= weight;
            }
        }
    }
}
