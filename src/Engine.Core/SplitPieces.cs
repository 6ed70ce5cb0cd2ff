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
