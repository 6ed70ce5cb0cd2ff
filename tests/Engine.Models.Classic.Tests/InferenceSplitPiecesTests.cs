using System.Collections.Concurrent;
using Engine.Backend.OpenBlas;
using Engine.Core;
using Engine.Tests;

namespace Engine.Models.Classic.Tests;

/// <summary>
/// The inference split in pieces (<c>ENGINE_SPLIT_PIECES</c>): at two threads a batch cut into more pieces than
/// threads, handed out one at a time, each run on the copy of whichever thread took it. The logits are the bits of
/// unsplit passes over each piece, run after run, whichever copy ran which piece: a thread held up at its first
/// piece leaves the rest to the other, and the bits do not move. One piece per thread, through the pieces' path,
/// gives the static split's bits (the same sub-batches).
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class InferenceSplitPiecesTests
{
    [Theory]
    [InlineData("resnet20", 12, 3, false, 6)]  // 6 pieces of 2
    [InlineData("resnet20", 12, 3, true, 8)]   // tapered: 2, 2, 2, 2, 1, 1, 1, 1
    [InlineData("vgg-cifar", 11, 2, false, 4)] // 4 pieces of 3, 3, 3, 2; dropout's state reaches each copy
    [InlineData("vgg-cifar", 11, 2, true, 7)]  // tapered: 3, 2, 2, 1, 1, 1, 1
    public void PiecesGiveTheBitsOfUnsplitPassesOverEachPieceWhoeverRunsThem(string model, int batch, int perThread, bool tail, int expectedPieces)
    {
        var sample = new Shape(3, 32, 32);
        using var backend = new OpenBlasBackend();
        int before = backend.BlasThreadCount, setting = SplitPieces.Setting;
        bool tailBefore = SplitPieces.Tail;
        try
        {
            SplitPieces.Tail = tail;
            backend.BlasThreadCount = 2;
            using Network network = Network.Build(ModelTestEngine.Catalog.Model(model).Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            Assert.True(InferenceFusionTests.RandomiseBatchNorms(network) > 0);
            using Tensor x = InferenceFusionTests.Input(backend, sample, batch);
            network.SplitInference = true;
            Assert.True(network.SplitsInference(batch), network.InferenceSplitRefusal);

            // The static split and one piece per thread through the pieces' path: the same sub-batches, the same bits.
            SplitPieces.Setting = SplitPieces.Off;
            int[] halves = Bits(network.Forward(x, training: false));
            Assert.Equal(0, network.SplitPiecesLastPass);
            SplitPieces.Setting = 1;
            Assert.Equal(halves, Bits(network.Forward(x, training: false)));
            Assert.Equal(2, network.SplitPiecesLastPass);
            SplitPieces.Setting = SplitPieces.Auto; // a small batch: one piece per thread
            Assert.Equal(halves, Bits(network.Forward(x, training: false)));
            Assert.Equal(2, network.SplitPiecesLastPass);

            SplitPieces.Setting = perThread;
            int[] cut = SplitPieces.Cut(batch, 2, 2 * perThread, tail);
            int pieces = cut.Length - 1;
            Assert.Equal(expectedPieces, pieces);
            int[] split = Bits(network.Forward(x, training: false));
            Assert.Equal(pieces, network.SplitPiecesLastPass);
            Assert.Equal(split, Bits(network.Forward(x, training: false)));
            Assert.Equal(Pieces(network, x, batch, cut), split);

            // Copy 1 held up at its first piece: copy 0 runs every other piece.
            var first = new ConcurrentDictionary<int, int>();
            network.SplitPieceStarting = (copy, piece) =>
            {
                first[piece] = copy;
                if (copy == 1 && first.Values.Count(c => c == 1) == 1)
                {
                    Thread.Sleep(200);
                }
            };
            Assert.Equal(split, Bits(network.Forward(x, training: false)));

            // Copy 0 held up until copy 1 has started a piece: copy 1 runs the rest.
            var second = new ConcurrentDictionary<int, int>();
            using var started = new ManualResetEventSlim();
            network.SplitPieceStarting = (copy, piece) =>
            {
                second[piece] = copy;
                if (copy == 1)
                {
                    started.Set();
                }
                else if (second.Values.Count(c => c == 0) == 1)
                {
                    started.Wait(TimeSpan.FromSeconds(10));
                    Thread.Sleep(200);
                }
            };
            Assert.Equal(split, Bits(network.Forward(x, training: false)));
            network.SplitPieceStarting = null;

            Assert.Equal(pieces, first.Count);
            Assert.Equal(pieces, second.Count);
            // Some piece ran on copy 0 in one pass and on copy 1 in the other, with the same bits.
            Assert.Contains(Enumerable.Range(0, pieces), p => first[p] != second[p]);
            Assert.True(first.Values.Count(c => c == 0) >= pieces - 1, string.Join(",", first.OrderBy(p => p.Key)));
            Assert.True(second.Values.Count(c => c == 1) >= pieces - 1, string.Join(",", second.OrderBy(p => p.Key)));
        }
        finally
        {
            SplitPieces.Setting = setting;
            SplitPieces.Tail = tailBefore;
            backend.BlasThreadCount = before;
        }
    }

    [Fact]
    public void TheCutDependsOnlyOnTheBatchAndTheThreadsAndTheSwitchParses()
    {
        Assert.Equal(SplitPieces.Off, SplitPieces.Parse("off"));
        Assert.Equal(SplitPieces.Off, SplitPieces.Parse(" OFF "));
        Assert.Equal(SplitPieces.Auto, SplitPieces.Parse(null));
        Assert.Equal(SplitPieces.Auto, SplitPieces.Parse("auto"));
        Assert.Equal(SplitPieces.Auto, SplitPieces.Parse("-3"));
        Assert.Equal(3, SplitPieces.Parse("3"));
        Assert.Equal(0, SplitPieces.For(128, 2, SplitPieces.Off));
        Assert.Equal(2, SplitPieces.For(16, 2, SplitPieces.Auto));   // ResNet-18's batch keeps its halves
        Assert.Equal(2, SplitPieces.For(63, 2, SplitPieces.Auto));
        Assert.Equal(4, SplitPieces.For(64, 2, SplitPieces.Auto));
        Assert.Equal(8, SplitPieces.For(128, 2, SplitPieces.Auto));
        Assert.Equal(8, SplitPieces.For(1000, 2, SplitPieces.Auto));
        Assert.Equal(6, SplitPieces.For(12, 2, 3));
        Assert.Equal(5, SplitPieces.For(5, 2, 4));                   // never more pieces than examples

        Assert.True(SplitPieces.ParseTail(null));
        Assert.True(SplitPieces.ParseTail("on"));
        Assert.False(SplitPieces.ParseTail(" Off "));
        Assert.False(SplitPieces.ParseTail("0"));
        // The tapered cut: the even cut's pieces first, then shares of what is left, down to single examples.
        Assert.Equal([16, 16, 16, 16, 16, 12, 9, 7, 5, 4, 3, 2, 2, 1, 1, 1, 1], Sizes(SplitPieces.Cut(128, 2, 8, tail: true)));
        Assert.Equal(Enumerable.Repeat(16, 8), Sizes(SplitPieces.Cut(128, 2, 8, tail: false)));
        Assert.Equal([8, 8], Sizes(SplitPieces.Cut(16, 2, 2, tail: true)));          // one piece per thread: not tapered
        Assert.Equal([34, 33, 33], Sizes(SplitPieces.Cut(100, 3, 3, tail: true)));
        Assert.Equal([2, 2, 1, 1, 1, 1], Sizes(SplitPieces.Cut(8, 2, 4, tail: true)));
        // The smallest tapered piece does 16 million multiply-accumulates: LeNet-5 (about 0.4 million a sample) keeps its even cut.
        Assert.Equal(1, SplitPieces.TailMinExamples(40_000_000));
        Assert.Equal(54, SplitPieces.TailMinExamples(300_000));
        Assert.Equal(Enumerable.Repeat(32, 8), Sizes(SplitPieces.Cut(256, 2, 8, tail: true, smallest: 54)));
        Assert.Equal([16, 16, 16, 16, 16, 12, 9, 7, 5, 4, 4, 4, 3], Sizes(SplitPieces.Cut(128, 2, 8, tail: true, smallest: 4)));
        using (var backend = new OpenBlasBackend())
        {
            var sample = new Shape(3, 32, 32);
            using Network vgg = Network.Build(ModelTestEngine.Catalog.Model("vgg-cifar").Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            using Network resnet = Network.Build(ModelTestEngine.Catalog.Model("resnet20").Spec, ModelTestEngine.Catalog, backend, sample, seed: 5);
            Assert.Equal(1, SplitPieces.TailMinExamples(vgg.MultiplyAccumulatesPerSample()));
            Assert.Equal(1, SplitPieces.TailMinExamples(resnet.MultiplyAccumulatesPerSample()));
            using Network lenet = Network.Build(ModelTestEngine.Catalog.Model("lenet5").Spec, ModelTestEngine.Catalog, backend, new Shape(1, 28, 28), seed: 5);
            Assert.True(SplitPieces.TailMinExamples(lenet.MultiplyAccumulatesPerSample()) > 32); // batch 256's pieces of 32 stay even
        }
        foreach ((int batch, int threads, int pieces) in new[] { (128, 2, 8), (1000, 2, 8), (127, 4, 16), (11, 2, 4), (5, 2, 5) })
        {
            int[] cut = SplitPieces.Cut(batch, threads, pieces, tail: true);
            Assert.Equal(0, cut[0]);
            Assert.Equal(batch, cut[^1]);
            Assert.All(Sizes(cut), size => Assert.InRange(size, 1, (batch + pieces - 1) / pieces));
            Assert.Equal(cut, SplitPieces.Cut(batch, threads, pieces, tail: true));
        }
    }

    private static int[] Sizes(int[] cut) => [.. cut.Zip(cut.Skip(1), (start, end) => end - start)];

    // The logits of unsplit passes over the pieces of the cut, one after the other.
    private static int[] Pieces(Network network, Tensor x, int batch, int[] cut)
    {
        network.SplitInference = false;
        double[] all = HostTensors.Download(x);
        int per = all.Length / batch;
        var bits = new List<int>();
        for (int piece = 0; piece + 1 < cut.Length; piece++)
        {
            (int start, int count) = (cut[piece], cut[piece + 1] - cut[piece]);
            using Tensor part = HostTensors.Upload(x.Backend, network.InputShape.WithBatch(count), all[(start * per)..((start + count) * per)], DataType.Float32);
            bits.AddRange(Bits(network.Forward(part, training: false)));
        }
        network.SplitInference = true;
        return [.. bits];
    }

    private static int[] Bits(Tensor y) => HostTensors.Download(y).Select(v => BitConverter.SingleToInt32Bits((float)v)).ToArray();
}
