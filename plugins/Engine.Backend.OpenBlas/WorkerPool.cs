using System.Diagnostics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The backend's one thread pool: the calling thread plus <see cref="Width"/> − 1 dedicated
/// workers, which split a loop of independent items (samples of a batch, row blocks of a GEMM)
/// among themselves. OpenBLAS itself is kept single-threaded (see <see cref="OpenBlasLibrary"/>),
/// so at any moment only this pool runs work and two pools never fight over the same cores.
/// </summary>
/// <remarks>
/// A loop body is an unmanaged function pointer and a pointer to its state on the caller's stack,
/// so starting a loop allocates nothing. Items are handed out one at a time from a shared counter,
/// which keeps both cores busy when one of them is slowed by another process. A worker spins
/// for the next loop for up to <see cref="SpinMicroseconds"/> (training steps issue loops back to
/// back, with serial work between them) and then sleeps on an event, so an idle pool costs no CPU;
/// a loop signals the event only for a worker that went to sleep, so a loop that finds its
/// workers spinning makes no system call. How many threads a loop may use never depends on
/// timing (<see cref="Steady"/>): a late worker just finds fewer items left. One loop runs at a time: a loop started while another is
/// running (from another thread, or from inside a body) runs on its calling thread alone, as
/// worker 0, which callers' per-worker scratch handles because worker 0 of the running loop
/// rents it the same way (see <see cref="ConvolutionWorkspace"/>).
/// </remarks>
internal static unsafe class WorkerPool
{
    private const int SpinIterations = 60;

    /// <summary>
    /// How long an idle worker of the steady pool polls for the next loop before it sleeps. A LeNet-5
    /// training step leaves tens of µs of serial work (loss, gradient sums, SGD) between its
    /// parallel passes; a worker asleep by then costs a futex wake (tens of µs, a time slice on a
    /// busy machine) at the start of the next pass. Beyond this an idle pool stops burning a core.
    /// </summary>
    public const int SpinMicroseconds = 250;

    private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;

    /// <summary>
    /// The steady pool (default; <c>ENGINE_POOL_STEADY=off</c> restores the earlier one): no serial
    /// back-off after stalls and a time-bounded spin before sleeping. The earlier pool ran the next
    /// 500 loops on the calling thread after three loops whose wait it judged too long, and its
    /// workers spun for only a few microseconds, so on a busy machine most loops of a LeNet-5 step
    /// ran serially. Neither changes a result: items are independent and each computes the same on
    /// any thread; only which thread runs an item depends on timing, never how the work is cut.
    /// </summary>
    internal static bool Steady { get; set; } = Environment.GetEnvironmentVariable("ENGINE_POOL_STEADY") != "off";

    private static readonly Lock Gate = new();
    private static Worker[] _workers = [];
    private static int _width = 1;
    private static int _busy;

    // The loop being run: body, state, item count and the next item to hand out.
    private static delegate* managed<void*, int, int, void> _body;
    private static void* _state;
    private static int _count;
    private static int _next;
    private static int _loopWidth;
    private static Exception? _failure;

    // Who is inside the current loop: the number of workers that joined it, plus Closed once the
    // caller has run out of items. A worker joins only while the loop is open, so the caller waits
    // just for workers that are actually running items, never for one that has not woken up yet
    // (on a busy machine that can take a whole scheduler time slice).
    private const int Closed = 1 << 30;
    private static int _gate = Closed;

    /// <summary>
    /// Whether code running inside a parallel loop's body sees a <see cref="Width"/> of 1 (default on;
    /// <c>ENGINE_POOL_NESTED=off</c> restores the pool's width there). Every loop such a body starts runs on its
    /// thread alone (the pool is busy with the loop it belongs to), so the kernels' work cuts sized by the width
    /// were cuts for threads that never come: the inference batch split runs each sub-batch through the whole
    /// network inside one body, and at two threads Winograd's deep layers cut their tiles into one block per
    /// (absent) worker, streaming their transformed filters (38 MB on ResNet-18's 512×7×7) once per block;
    /// scratch was rented for two workers. The convolution kernels' bits do not depend on their cuts (the tests
    /// compare 1 and 2 threads bit for bit); sums cut by the width (the training split's filter-gradient parts, the
    /// dense product) now round as one thread's do, still the same bits run to run. A body of a loop meant for
    /// several threads that ran on its caller alone (the pool busy with another caller's loop) sees 1 as well, so the
    /// width seen there never depends on timing.
    /// </summary>
    internal static bool NestedOne { get; set; } = ParseNested(Environment.GetEnvironmentVariable("ENGINE_POOL_NESTED"));

    private static bool ParseNested(string? setting) => setting?.Trim().ToLowerInvariant() is not ("off" or "0" or "false");

    // How many parallel loop bodies this thread is inside (RunItems): nonzero means a loop it starts runs serially.
    [ThreadStatic]
    private static int t_bodies;

    /// <summary>
    /// Threads a loop runs on, the caller included (at least 1): the pool's width, or 1 inside a parallel loop's
    /// body (<see cref="NestedOne"/>), where a loop runs on the body's thread alone.
    /// </summary>
    public static int Width
    {
        get => t_bodies > 0 && NestedOne ? 1 : Volatile.Read(ref _width);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (Gate)
            {
                while (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
                {
                    Thread.Yield();
                }
                try
                {
                    for (int i = _workers.Length; i < value - 1; i++)
                    {
                        _workers = [.. _workers, new Worker(i + 1)];
                    }
                    _width = value;
                }
                finally
                {
                    Volatile.Write(ref _busy, 0);
                }
            }
        }
    }

    /// <summary>
    /// Calls <paramref name="body"/>(state, item, worker) for every item in [0, <paramref name="count"/>),
    /// spread over at most <paramref name="maxWidth"/> threads of the pool (callers size per-worker
    /// scratch with it), and returns when all are done. worker is in [0, maxWidth) and no
    /// two bodies run with the same worker at once within this loop. An exception from a body is
    /// rethrown here after the loop ends.
    /// </summary>
    public static void For(int count, int maxWidth, delegate* managed<void*, int, int, void> body, void* state)
    {
        int width = Math.Min(Math.Min(Width, maxWidth), count);
        if (PoolStats.On)
        {
            PoolStats.Call(count, width, _serialLoops > 0 && !Steady, Volatile.Read(ref _busy) != 0);
        }
        if (width <= 1 || (_serialLoops > 0 && !Steady) || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            if (_serialLoops > 0)
            {
                _serialLoops--; // racy decrement from several callers only shortens the pause
            }
            // A loop meant for several threads that runs here alone (the pool busy with another caller's loop,
            // or the earlier pool's serial pause) is still a parallel loop's body to the code it runs: the width
            // seen there must not depend on whether the pool happened to be free (NestedOne's cuts change sums).
            bool meantParallel = width > 1;
            if (meantParallel)
            {
                t_bodies++;
            }
            try
            {
                for (int i = 0; i < count; i++)
                {
                    body(state, i, 0);
                }
            }
            finally
            {
                if (meantParallel)
                {
                    t_bodies--;
                }
            }
            return;
        }
        try
        {
            _body = body;
            _state = state;
            _count = count;
            _next = 0;
            _loopWidth = width;
            _failure = null;
            Volatile.Write(ref _gate, 0);
            for (int w = 0; w < width - 1; w++)
            {
                _workers[w].Start();
            }
            long start = Stopwatch.GetTimestamp();
            int mine = RunItems(0);
            Interlocked.Or(ref _gate, Closed);
            long own = Stopwatch.GetTimestamp();
            var spin = new SpinWait();
            while (Volatile.Read(ref _gate) != Closed)
            {
                spin.SpinOnce(sleep1Threshold: -1);
            }
            long end = Stopwatch.GetTimestamp();
            if (PoolStats.On)
            {
                PoolStats.Parallel(own - start, end - own, mine, count);
            }
            if (!Steady)
            {
                JudgeWait(own - start, end - own, alone: mine >= count && count >= 2 * width);
            }
            if (_failure is { } failure)
            {
                throw new AggregateException("a parallel backend loop failed", failure);
            }
        }
        finally
        {
            _body = null;
            _state = null;
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>
    /// Backs off to serial loops when the machine is oversubscribed: when the workers did not get
    /// to run any of a loop's items (they were not scheduled in time), or when the caller waited
    /// long for them. The caller runs items until
    /// none are left and then waits for workers still inside one; when a worker has been preempted
    /// (other processes want the cores) that wait lasts a scheduler time slice and costs more than
    /// the parallelism saves. After several loops in a row where the wait exceeded both the caller's
    /// own share and <see cref="StallTicks"/>, the next <see cref="SerialPause"/> loops run on the
    /// calling thread alone; then the pool tries again. On a quiet machine waits are microseconds
    /// and this never triggers.
    /// </summary>
    private static void JudgeWait(long ownTicks, long waitTicks, bool alone)
    {
        if (alone || (waitTicks > ownTicks && waitTicks > StallTicks))
        {
            if (++_stalls >= 3)
            {
                _stalls = 0;
                _serialLoops = SerialPause;
            }
        }
        else if (_stalls > 0)
        {
            _stalls--;
        }
    }

    /// <summary>A wait longer than this (0.2 ms, a few small loops' worth) counts as a stall.</summary>
    private static readonly long StallTicks = Stopwatch.Frequency / 5000;

    /// <summary>Loops run serially after repeated stalls (a few dozen LeNet training steps).</summary>
    private const int SerialPause = 500;

    private static int _stalls;
    private static int _serialLoops;

    /// <summary>Enters the open loop as <paramref name="worker"/>, if there is one it may take part in.</summary>
    private static bool TryJoin(int worker)
    {
        while (true)
        {
            int gate = Volatile.Read(ref _gate);
            if ((gate & Closed) != 0 || worker >= Volatile.Read(ref _loopWidth))
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _gate, gate + 1, gate) == gate)
            {
                // Re-check after joining: the width read above may belong to an earlier loop.
                if (worker < Volatile.Read(ref _loopWidth))
                {
                    return true;
                }
                Interlocked.Decrement(ref _gate);
                return false;
            }
        }
    }

    /// <summary>Runs items until none are left; returns how many this thread ran.</summary>
    private static int RunItems(int worker)
    {
        int done = 0;
        t_bodies++;
        try
        {
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _count)
            {
                _body(_state, i, worker);
                done++;
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, e, null);
            Volatile.Write(ref _next, int.MaxValue / 2); // stop handing out items
        }
        finally
        {
            t_bodies--;
        }
        return done;
    }

    /// <summary>One background thread, woken by <see cref="Start"/> for each loop.</summary>
    private sealed class Worker
    {
        private readonly int _index;
        private int _generation;
        private int _sleeping; // 1 while the steady wait may be blocked on _wake
        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);

        public Worker(int index)
        {
            _index = index;
            var thread = new Thread(Loop) { IsBackground = true, Name = $"engine-openblas-worker-{index}" };
            thread.Start();
        }

        public void Start()
        {
            Interlocked.Increment(ref _generation);
            // The increment is a full fence, and so is the worker's exchange of _sleeping before it
            // reads the generation again: either the worker sees the new generation or this sees it asleep.
            if (!Steady || Volatile.Read(ref _sleeping) != 0)
            {
                _wake.Set();
            }
        }

        private void Loop()
        {
            int seen = 0;
            while (true)
            {
                if (Steady)
                {
                    WaitSteady(seen);
                }
                else
                {
                    WaitShortSpin(seen);
                }
                seen = Volatile.Read(ref _generation);
                if (TryJoin(_index))
                {
                    RunItems(_index);
                    Interlocked.Decrement(ref _gate);
                }
            }
        }

        // Polls the generation for SpinTicks, then sleeps until Start signals.
        private void WaitSteady(int seen)
        {
            long start = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _generation) == seen && Stopwatch.GetTimestamp() - start < SpinTicks)
            {
                for (int i = 0; i < 64 && Volatile.Read(ref _generation) == seen; i++)
                {
                    Thread.SpinWait(1);
                }
            }
            while (Volatile.Read(ref _generation) == seen)
            {
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _generation) == seen)
                {
                    _wake.Wait();
                }
                _wake.Reset();
                Volatile.Write(ref _sleeping, 0);
            }
        }

        // The earlier pool's wait (ENGINE_POOL_STEADY=off): a few microseconds of spinning, then the event.
        private void WaitShortSpin(int seen)
        {
            // Spin a little first: in a training step the next loop usually follows within microseconds.
            for (int i = 0; i < SpinIterations && Volatile.Read(ref _generation) == seen; i++)
            {
                Thread.SpinWait(20);
            }
            // Start bumps the generation before it sets the event, so checking the generation after
            // every wake (and never trusting the event alone) neither misses a loop nor runs one twice.
            while (Volatile.Read(ref _generation) == seen)
            {
                _wake.Wait();
                _wake.Reset();
            }
        }
    }
}
