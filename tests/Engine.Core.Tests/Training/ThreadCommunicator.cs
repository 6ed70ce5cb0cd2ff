using Engine.Core.Distributed;

namespace Engine.Core.Tests.Training;

/// <summary>
/// An <see cref="ICommunicator"/> among threads of one process, for testing the trainer's
/// data-parallel path without MPI: each thread is a rank; every collective exchanges the ranks'
/// arrays through a barrier and sums them in rank order (so every rank gets the same bits).
/// </summary>
internal sealed class ThreadCommunicator(ThreadCommunicator.Group group, int rank) : ICommunicator
{
    public int Rank => rank;

    public int Size => group.Size;

    public void Sum(Span<double> values)
    {
        double[][] all = group.Exchange(rank, values.ToArray());
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = all.Sum(a => a[i]);
        }
    }

    public void Min(Span<long> values)
    {
        long[][] all = group.Exchange(rank, values.ToArray());
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = all.Min(a => a[i]);
        }
    }

    public ulong[] Gather(ReadOnlySpan<ulong> values) => [.. group.Exchange(rank, values.ToArray()).SelectMany(a => a)];

    public void Exchange(int partner, ReadOnlySpan<float> send, Span<float> receive)
    {
        float[][] all = group.Exchange(rank, send.ToArray()); // every rank takes part: pairs exchange in the same round
        all[partner].CopyTo(receive);
    }

    public IAsyncSum CreateSum(float[] buffer) => new Deferred(this, buffer);

    public void Abort(int exitCode) => throw new InvalidOperationException($"rank {rank} aborted with {exitCode}");

    public void Dispose()
    {
    }

    /// <summary>Runs <paramref name="body"/> for ranks 0 … <paramref name="ranks"/> − 1 at once; fails with the first rank's exception.</summary>
    public static void RunRanks(int ranks, Action<int> body)
    {
        var errors = new Exception?[ranks];
        // Threads of their own, not the pool's: every rank must run at once to meet in the sums.
        Thread[] threads = [.. Enumerable.Range(0, ranks).Select(r => new Thread(() =>
        {
            try
            {
                body(r);
            }
            catch (Exception e)
            {
                errors[r] = e;
            }
        }))];
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());
        Assert.All(errors, Assert.Null);
    }

    /// <summary>The ranks' shared exchange.</summary>
    internal sealed class Group(int size)
    {
        private readonly Barrier _barrier = new(size);
        private readonly object?[] _slots = new object?[size];

        public int Size => size;

        public T[][] Exchange<T>(int rank, T[] mine)
        {
            _slots[rank] = mine;
            Meet(rank);
            T[][] all = [.. _slots.Cast<T[]>()];
            Meet(rank); // nobody overwrites a slot before everyone has read them
            return all;
        }

        // A rank that failed never arrives: the others fail too instead of hanging the test run.
        private void Meet(int rank)
        {
            if (!_barrier.SignalAndWait(TimeSpan.FromMinutes(2)))
            {
                throw new TimeoutException($"rank {rank}: the other ranks did not reach the collective within 2 minutes");
            }
        }
    }

    // Sums when waited for: the trainer waits for its buckets in the same order on every rank.
    private sealed class Deferred(ThreadCommunicator owner, float[] buffer) : IAsyncSum
    {
        private bool _started;

        public void Start() => _started = true;

        public bool Test() => !_started;

        public void Wait()
        {
            if (!_started)
            {
                return;
            }
            _started = false;
            float[][] all = owner.Exchange(buffer);
            for (int i = 0; i < buffer.Length; i++)
            {
                float total = 0;
                foreach (float[] part in all)
                {
                    total += part[i];
                }
                buffer[i] = total;
            }
        }

        public void Dispose()
        {
        }
    }

    private float[][] Exchange(float[] buffer) => group.Exchange(rank, (float[])buffer.Clone());
}
