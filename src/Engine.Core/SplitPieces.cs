using System.Globalization;

namespace Engine.Core;

/// <summary>
/// How many pieces the inference batch split cuts a batch into (<c>ENGINE_SPLIT_PIECES=auto|off|N</c>).
/// With one sub-batch per thread, a thread that the machine's neighbours deschedule costs the others a
/// whole sub-batch of waiting at the end of the pass; cut into more, smaller pieces than threads, handed
/// out one at a time, the threads that run take the late one's pieces and wait at most for one piece.
/// </summary>
/// <remarks>
/// The cut depends only on the batch size and the thread count (consecutive pieces, <see cref="Distributed.BatchShard.Slice"/>),
/// never on timing, so the outputs are the same bits run to run; which copy of the network runs a piece depends
/// on timing, and every copy computes a piece the same way (same weights and state, kernels cut for one thread).
/// Training keeps one sub-batch per thread: its weight gradients are summed per sub-batch in a fixed order.
/// </remarks>
internal static class SplitPieces
{
    /// <summary>The static split: one sub-batch per thread, sub-batch s on copy s (the behaviour before pieces).</summary>
    public const int Off = -1;

    /// <summary>Pieces per thread chosen from the batch size (<see cref="For"/>).</summary>
    public const int Auto = 0;

    /// <summary>Fewest examples in a piece under <see cref="Auto"/>: smaller batches keep one piece per thread
    /// (a piece's every layer streams the layer's weights once; ResNet-18 at batch 16 keeps its halves).</summary>
    public const int MinPieceExamples = 16;

    /// <summary>Most pieces per thread under <see cref="Auto"/>.</summary>
    public const int MaxPerThread = 4;

    /// <summary>The process-wide setting: <see cref="Off"/>, <see cref="Auto"/> or N pieces per thread (N ≥ 1).</summary>
    public static int Setting { get; set; } = Parse(Environment.GetEnvironmentVariable("ENGINE_SPLIT_PIECES"));

    /// <summary>off/false/0 → <see cref="Off"/>, a positive integer → that many per thread, anything else (auto, unset) → <see cref="Auto"/>.</summary>
    public static int Parse(string? setting)
    {
        string text = setting?.Trim().ToLowerInvariant() ?? "";
        if (text is "off" or "false" or "0")
        {
            return Off;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 ? n : Auto;
    }

    /// <summary>
    /// Whether the last pieces of a cut taper (<c>ENGINE_SPLIT_TAIL=on|off</c>, default on; see <see cref="Cut"/>).
    /// With pieces of equal size a pass ends, on average, with one thread idle for part of a piece: the pool's
    /// worker starts its first piece 0.4 ms (quiet) to 3 ms (loaded) after the caller (it is woken from its sleep),
    /// and any thread a neighbour holds up finishes its last piece late; at two threads a VGG-CIFAR piece of 16
    /// examples takes 12 ms. Tapered, the pass ends on pieces of a few examples, so the threads end close together.
    /// </summary>
    public static bool Tail { get; set; } = ParseTail(Environment.GetEnvironmentVariable("ENGINE_SPLIT_TAIL"));

    /// <summary>
    /// Least work of a tapered piece, in multiply-accumulates: the taper stops at the piece size that does this much,
    /// so a small network keeps its even cut (LeNet-5, about 0.4 million a sample, would run a pass in 20 pieces of at most
    /// 32 examples, 10–15 % more CPU for the fixed costs of its layers' calls) while VGG-CIFAR and ResNet-20 (about 40
    /// million a sample, 0.75 ms at two threads) taper down to single examples.
    /// </summary>
    public const long TailMinMultiplyAccumulates = 16_000_000;

    /// <summary>Smallest tapered piece, in examples, for a network of <paramref name="multiplyAccumulatesPerSample"/> (at least 1).</summary>
    public static int TailMinExamples(long multiplyAccumulatesPerSample) =>
        (int)Math.Clamp((TailMinMultiplyAccumulates + Math.Max(1, multiplyAccumulatesPerSample) - 1) / Math.Max(1, multiplyAccumulatesPerSample), 1, int.MaxValue);

    /// <summary>off/false/0 → false, anything else (on, unset) → true.</summary>
    public static bool ParseTail(string? setting) => setting?.Trim().ToLowerInvariant() is not ("off" or "false" or "0");

    /// <summary>
    /// The cut of <paramref name="batch"/> examples for <paramref name="pieces"/> pieces (<see cref="For"/>) on
    /// <paramref name="threads"/> threads: the start of every piece and, last, the batch (pieces + 1 entries for
    /// the even cut). Without <paramref name="tail"/>, or with one piece per thread, the even cut
    /// (<see cref="Distributed.BatchShard.Slice"/>). With it, each piece takes a share of what is left,
    /// ceil(left / (2 × threads)), at most the even cut's largest piece and at least <paramref name="smallest"/>
    /// examples (<see cref="TailMinExamples"/>; what is left when less): the first pieces are the even cut's, the last
    /// ones shrink (128 examples, 8 pieces, 2 threads, smallest 1: 16 ×5, 12, 9, 7, 5, 4, 3, 2, 2, 1 ×4). It depends
    /// only on the batch, the thread count, the network's size and the setting. A smallest piece as large as the even
    /// cut's pieces leaves the even cut.
    /// </summary>
    public static int[] Cut(int batch, int threads, int pieces, bool tail, int smallest = 1)
    {
        int largest = (batch + pieces - 1) / pieces;
        if (!tail || pieces <= threads || smallest >= largest)
        {
            var even = new int[pieces + 1];
            for (int piece = 0; piece < pieces; piece++)
            {
                even[piece] = Distributed.BatchShard.Slice(batch, piece, pieces).Start;
            }
            even[pieces] = batch;
            return even;
        }
        var starts = new List<int>(2 * pieces) { 0 };
        int left = batch;
        while (left > 0)
        {
            int size = Math.Min(Math.Clamp((left + 2 * threads - 1) / (2 * threads), Math.Max(1, smallest), largest), left);
            left -= size;
            starts.Add(batch - left);
        }
        return [.. starts];
    }

    /// <summary>Pieces for an inference pass over <paramref name="batch"/> examples on <paramref name="threads"/>
    /// threads under <paramref name="setting"/>; 0 for the static split.</summary>
    public static int For(int batch, int threads, int setting)
    {
        if (setting == Off || threads < 1)
        {
            return 0;
        }
        int perThread = setting == Auto ? Math.Clamp(batch / (threads * MinPieceExamples), 1, MaxPerThread) : setting;
        return Math.Min(batch, threads * perThread);
    }
}
