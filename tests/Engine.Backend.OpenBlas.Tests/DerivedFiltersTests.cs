using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// <see cref="DerivedFilters"/>: the filter-block tile's repacked weights and Winograd's transformed filters are
/// kept per weight storage from the second call at one version and used while it is unchanged. The outputs are
/// the bits of the cache switched off (the reference: derive every call) on every call; each writer of the
/// weights — a host upload, a backend op, a write through the raw pointer marked written — reaches the next call;
/// a training-like sequence (a write before every call) keeps nothing, and frees what an earlier version kept; the blocks are freed with the weights.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed class DerivedFiltersTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new();
    private readonly bool? _direct = PaddedDirectConvolution.Forced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly bool? _blocks = FilterBlockConvolution.Forced;
    private readonly bool _enabled = DerivedFilters.Enabled;

    public void Dispose()
    {
        PaddedDirectConvolution.Forced = _direct;
        WinogradConvolution.Forced = _winograd;
        FilterBlockConvolution.Forced = _blocks;
        DerivedFilters.Enabled = _enabled;
        _backend.Dispose();
    }

    [Theory]
    [InlineData(true)]  // the filter-block tile (ResNet-18's 256-channel 14×14 class), with the batch-norm + ReLU epilogue
    [InlineData(false)] // Winograd F(4×4, 3×3) forward
    public void CachedFiltersGiveTheReferenceBitsAndEveryWriterReachesTheNextCall(bool filterBlock)
    {
        if (PackedGemm.Bits != 512 && filterBlock)
        {
            return; // the padded direct kernel (and its filter-block tile) needs AVX-512
        }
        PaddedDirectConvolution.Forced = filterBlock;
        FilterBlockConvolution.Forced = filterBlock;
        WinogradConvolution.Forced = filterBlock ? false : true;
        (int channels, int size, int filters) = filterBlock ? (136, 14, 128) : (32, 24, 32);
        var rng = new Random(7);
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        using Tensor x = Upload(new Shape(2, channels, size, size), rng, 1);
        using Tensor w = Upload(new Shape(filters, channels, 3, 3), rng, 0.3);
        using Tensor scale = Upload(new Shape(filters), rng, 1.5);
        using Tensor shift = Upload(new Shape(filters), rng, 0.5);
        using Tensor y = _backend.Allocate(new Shape(2, filters, size, size));
        var storage = (CpuStorage)w.Storage;

        float[] Forward(bool cached)
        {
            DerivedFilters.Enabled = cached;
            _backend.ConvolutionForwardWithEpilogue(geometry, x, w, y, scale, shift, Activation.Relu);
            float[] values = new float[y.ElementCount];
            _backend.CopyToHost<float>(y, values);
            return values;
        }

        float[] reference = Forward(cached: false);
        Assert.Contains(reference, v => v != 0);
        Assert.Equal(0, DerivedFilters.BytesOf(storage));
        Assert.Equal(reference, Forward(cached: true)); // first call at this version: derived, not kept
        Assert.Equal(0, DerivedFilters.BytesOf(storage));
        Assert.Equal(reference, Forward(cached: true)); // second: kept
        long kept = DerivedFilters.BytesOf(storage);
        Assert.True(kept > 0);
        Assert.Equal(reference, Forward(cached: true)); // third: from the cache
        Assert.Equal(kept, DerivedFilters.BytesOf(storage));

        // Each writer, then two calls (derive, keep) and one from the cache, against the reference of the new weights.
        var writers = new (string Name, Action Write)[]
        {
            ("host upload", () => _backend.CopyFromHost<float>(Values(rng, (int)w.ElementCount, 0.3), w)),
            ("backend op", () => _backend.Axpby(0.5, w, 1, w)),
            ("raw pointer", () =>
            {
                Marshal.Copy(Values(rng, (int)w.ElementCount, 0.3), 0, storage.Pointer, (int)w.ElementCount);
                storage.MarkWritten();
            }),
        };
        float[] previous = reference;
        foreach ((string name, Action write) in writers)
        {
            write();
            float[] expected = Forward(cached: false);
            Assert.False(expected.SequenceEqual(previous), name);
            for (int call = 0; call < 3; call++)
            {
                Assert.Equal(expected, Forward(cached: true));
            }
            previous = expected;
        }

        // Training resumed after an evaluation: the first call at a newer version frees the older copy; a second keeps one again.
        _backend.Axpby(0.5, w, 1, w);
        float[] resumed = Forward(cached: false);
        Assert.Equal(kept, DerivedFilters.BytesOf(storage));
        Assert.Equal(resumed, Forward(cached: true));
        Assert.Equal(0, DerivedFilters.BytesOf(storage));
        Assert.Equal(resumed, Forward(cached: true));
        Assert.Equal(kept, DerivedFilters.BytesOf(storage));

        // A write before every call (training): nothing new is kept for the versions it never repeats.
        using Tensor fresh = Upload(new Shape(filters, channels, 3, 3), rng, 0.3);
        for (int step = 0; step < 3; step++)
        {
            _backend.Axpby(0.9, fresh, 1, fresh);
            DerivedFilters.Enabled = true;
            _backend.ConvolutionForwardWithEpilogue(geometry, x, fresh, y, scale, shift, Activation.Relu);
        }
        Assert.Equal(0, DerivedFilters.BytesOf((CpuStorage)fresh.Storage));

        // Freed with the weights.
        long before = DerivedFilters.Bytes;
        w.Dispose();
        Assert.Equal(before - kept, DerivedFilters.Bytes);
    }

    [Fact]
    public void CopiesOfTheWeightsShareTheSourcesCacheWhileBothAreUnchanged()
    {
        WinogradConvolution.Forced = true;
        PaddedDirectConvolution.Forced = false;
        DerivedFilters.Enabled = true;
        var rng = new Random(11);
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        using Tensor x = Upload(new Shape(2, 32, 24, 24), rng, 1);
        using Tensor w = Upload(new Shape(32, 32, 3, 3), rng, 0.3);
        using Tensor copy = _backend.Allocate(w.Shape);
        using Tensor scale = Upload(new Shape(32), rng, 1.5);
        using Tensor shift = Upload(new Shape(32), rng, 0.5);
        using Tensor y = _backend.Allocate(new Shape(2, 32, 24, 24));
        var (source, target) = ((CpuStorage)w.Storage, (CpuStorage)copy.Storage);

        float[] Forward(Tensor weights, bool cached = true)
        {
            DerivedFilters.Enabled = cached;
            _backend.ConvolutionForwardWithEpilogue(geometry, x, weights, y, scale, shift, Activation.Relu);
            DerivedFilters.Enabled = true;
            float[] values = new float[y.ElementCount];
            _backend.CopyToHost<float>(y, values);
            return values;
        }

        // The inference split: the copy takes the weights, then the network and the copy run a piece each, call after call.
        _backend.Copy(w, copy);
        float[] reference = Forward(w, cached: false);
        Assert.Equal(reference, Forward(w));    // the network's first call: derived, not kept
        Assert.Equal(reference, Forward(copy)); // the copy's first: the same version, but another caller: not kept
        Assert.Equal(0, DerivedFilters.BytesOf(source));
        Assert.Equal(reference, Forward(w));    // the network's second: kept, for both
        long kept = DerivedFilters.BytesOf(source);
        Assert.True(kept > 0);
        long keptBefore = DerivedFilters.Kept;
        Assert.Equal(reference, Forward(copy)); // served from the source's block
        Assert.Equal(reference, Forward(copy));
        Assert.Equal(keptBefore, DerivedFilters.Kept);
        Assert.Equal(0, DerivedFilters.BytesOf(target));

        // The copy written: its own weights from then on, never the source's block.
        _backend.Axpby(0.5, copy, 1, copy);
        float[] own = Forward(copy, cached: false);
        Assert.False(own.SequenceEqual(reference));
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(own, Forward(copy));
        }
        Assert.Equal(reference, Forward(w));

        // The source written after the copy (an optimiser step): the copy still holds the old weights and computes with them.
        _backend.Copy(w, copy);
        _backend.Axpby(0.5, w, 1, w);
        for (int call = 0; call < 3; call++)
        {
            Assert.Equal(reference, Forward(copy));
        }

        // A split training step (weights written, copy refreshed, one call each): the source's older block is freed at the
        // step's first call and nothing is kept, step after step.
        for (int step = 0; step < 3; step++)
        {
            _backend.Axpby(0.9, w, 1, w);
            _backend.Copy(w, copy);
            float[] expected = Forward(w, cached: false);
            Assert.Equal(expected, Forward(w));
            Assert.Equal(expected, Forward(copy));
            Assert.Equal(0, DerivedFilters.BytesOf(source));
            Assert.Equal(0, DerivedFilters.BytesOf(target));
        }
    }

    [Fact]
    public void ANewerVersionFreesTheBlocksOfEveryKernel()
    {
        if (PackedGemm.Bits != 512)
        {
            return; // the filter-block tile needs AVX-512
        }
        DerivedFilters.Enabled = true;
        var rng = new Random(13);
        var geometry = new ConvolutionGeometry([3, 3], [1, 1], [1, 1], [1, 1], [1, 1]);
        using Tensor x = Upload(new Shape(2, 136, 14, 14), rng, 1);
        using Tensor w = Upload(new Shape(128, 136, 3, 3), rng, 0.3);
        using Tensor scale = Upload(new Shape(128), rng, 1.5);
        using Tensor shift = Upload(new Shape(128), rng, 0.5);
        using Tensor y = _backend.Allocate(new Shape(2, 128, 14, 14));
        var storage = (CpuStorage)w.Storage;
        void Forward(bool winograd)
        {
            WinogradConvolution.Forced = winograd;
            PaddedDirectConvolution.Forced = !winograd;
            FilterBlockConvolution.Forced = !winograd;
            _backend.ConvolutionForwardWithEpilogue(geometry, x, w, y, scale, shift, Activation.Relu);
        }

        Forward(winograd: true);
        Forward(winograd: true);
        long winogradBytes = DerivedFilters.BytesOf(storage);
        Assert.True(winogradBytes > 0);
        Forward(winograd: false);
        Forward(winograd: false);
        Assert.True(DerivedFilters.BytesOf(storage) > winogradBytes, "both kernels' blocks kept at one version");

        // Training resumes (a write) and reaches only the filter-block tile: Winograd's block goes too.
        _backend.Axpby(0.5, w, 1, w);
        Forward(winograd: false);
        Assert.Equal(0, DerivedFilters.BytesOf(storage));
    }

    private Tensor Upload(Shape shape, Random rng, double range)
    {
        Tensor t = _backend.Allocate(shape);
        _backend.CopyFromHost<float>(Values(rng, (int)shape.ElementCount, range), t);
        return t;
    }

    private static float[] Values(Random rng, int count, double range) =>
        [.. Enumerable.Range(0, count).Select(_ => (float)((rng.NextDouble() * 2 - 1) * range))];
}
