namespace Engine.Core;

/// <summary>
/// Inference in pieces (<see cref="SplitPieces"/>): the batch is cut into more consecutive pieces than threads,
/// (the last ones smaller under <see cref="SplitPieces.Tail"/>: <see cref="SplitPieces.Cut"/>), handed out one at a time from a shared counter, each run through the whole network on the copy of the
/// thread that took it.
/// </summary>
/// <remarks>
/// The pool runs one body per copy (body 0 on the network itself); a body takes pieces until none are left.
/// Bodies with different indices may run at once, so no two threads ever share a copy, and one body runs one
/// piece at a time, so a copy holds one piece's activations at a time. A pool worker that comes late (the
/// machine's neighbours hold its core) finds the pieces taken by the threads that ran; a body that finds none
/// left does nothing, not even take the weights. A copy takes the weights and state once per pass, before its
/// first piece, on the thread running it.
/// </remarks>
internal sealed partial class BatchSplit
{
    private readonly Action<int> _runPieces;
    private readonly int[] _taken; // per copy: the pass in which it last took the weights and state
    private int _pieces;
    private int[] _cut = [];
    private (int Batch, int Pieces, bool Tail) _cutFor;
    private int _nextPiece;
    private int _pass;
    private int _lastPieces;

    /// <summary>Pieces of the last inference pass cut in pieces (0 when it used the static split); for tests.</summary>
    public int LastPieces => _lastPieces;

    /// <summary>Called on the running thread before each piece with (copy, piece); tests delay a copy with it.</summary>
    public Action<int, int>? PieceStarting { get; set; }

    private void ForwardPieces(int batch, int pieces)
    {
        bool tail = SplitPieces.Tail;
        if (_cutFor != (batch, pieces, tail))
        {
            _cut = SplitPieces.Cut(batch, _shards, pieces, tail, SplitPieces.TailMinExamples(_network.MultiplyAccumulatesPerSample()));
            _cutFor = (batch, pieces, tail);
        }
        pieces = _cut.Length - 1;
        _pieces = pieces;
        _nextPiece = 0;
        _pass++;
        _workers.RunParallel(_shards, _runPieces);
        _lastPieces = pieces;
    }

    private void RunPieces(int copy)
    {
        int piece;
        while ((piece = Interlocked.Increment(ref _nextPiece) - 1) < _pieces)
        {
            if (copy > 0 && _taken[copy] != _pass)
            {
                TakeForInference(copy);
                _taken[copy] = _pass;
            }
            PieceStarting?.Invoke(copy, piece);
            ForwardRows(copy, _cut[piece], _cut[piece + 1] - _cut[piece]);
        }
    }
}
