namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The padded direct 3×3 forward (<see cref="PaddedDirectConvolution"/>) and the path it replaces (the
/// path forced off, Winograd and batching off: im2col + the packed GEMM) against a scalar chain of fused
/// multiply-adds over the column-matrix rows in order (padding multiplied as zeros), followed by the
/// epilogue pass's own per-plane function: bit for bit, as each output is that same chain. Over plane sizes that are and are not multiples of 16 (partial last vectors, tiles of
/// fewer than four vectors), filter counts that are not multiples of 4, paddings 0–2, strides 1 and 2, 1 and 2 threads, and
/// the epilogue in registers (ReLU, none) or as the separate pass (tanh), each with both inner tiles
/// (positions along the vector, and <see cref="FilterBlockConvolution"/>'s filters along it). Without AVX-512 the path never
/// applies, which is checked instead.
/// </summary>
[Collection(nameof(SmallGemmBitsCollection))]
public sealed unsafe class PaddedDirectConvolutionTests : IDisposable
{
    private readonly OpenBlasBackend _backend = new(); // loads OpenBLAS
    private readonly bool? _direct = PaddedDirectConvolution.Forced;
    private readonly bool? _batched = BatchedConvolution.Forced;
    private readonly bool? _winograd = WinogradConvolution.Forced;
    private readonly bool? _blocks = FilterBlockConvolution.Forced;
    private readonly bool _cacheRule = PaddedDirectConvolution.CacheRule;
    private readonly int _width = WorkerPool.Width;
    private readonly bool? _chunked = PaddedDirectConvolution.ChunkedTiles;
    private readonly bool? _planes = PaddedDirectConvolution.PlaneCopy;
    private readonly (int Bytes, int Filters) _chunk = (PaddedDirectConvolution.ChunkBytes, PaddedDirectConvolution.ParkFilters);
    private readonly bool _deep = WinogradConvolution.Deep;
    private readonly (bool? Tile, bool? Rows) _tile = (PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies);
    private readonly bool? _oneCopy = PaddedDirectConvolution.OneCopy;
    private readonly bool? _row = RowFilterConvolution.Forced;

    public void Dispose()
    {
        PaddedDirectConvolution.Forced = _direct;
        PaddedDirectConvolution.CacheRule = _cacheRule;
        BatchedConvolution.Forced = _batched;
        WinogradConvolution.Forced = _winograd;
        WinogradConvolution.Deep = _deep;
        FilterBlockConvolution.Forced = _blocks;
        WorkerPool.Width = _width;
        PaddedDirectConvolution.ChunkedTiles = _chunked;
        PaddedDirectConvolution.PlaneCopy = _planes;
        (PaddedDirectConvolution.ChunkBytes, PaddedDirectConvolution.ParkFilters) = _chunk;
        (PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies) = _tile;
        PaddedDirectConvolution.OneCopy = _oneCopy;
        RowFilterConvolution.Forced = _row;
        _backend.Dispose();
    }

    public static TheoryData<int, int, int, int, int, int, int> Shapes => new()
    {
        // batch, channels, height, width, filters, pad, stride
        { 3, 16, 32, 32, 16, 1, 1 },   // ResNet-20 stage 1: 64 whole vectors a plane
        { 2, 32, 16, 16, 32, 1, 1 },   // stage 2
        { 3, 64, 8, 8, 64, 1, 1 },     // stage 3: one tile a plane
        { 2, 5, 7, 7, 6, 1, 1 },       // 49 positions (a 1-lane last vector), 6 filters (a 2-filter tail)
        { 2, 7, 10, 13, 9, 0, 1 },     // no padding, 8×11 output: 88 positions, a 2-vector last tile
        { 2, 3, 6, 9, 5, 2, 1 },       // padding 2: an output larger than the input
        { 2, 3, 32, 32, 16, 1, 1 },    // ResNet-20's first layer: 3 channels, 27-row chains
        { 3, 40, 14, 14, 24, 1, 1 },   // 196 positions, 13 vectors
        { 3, 16, 32, 32, 32, 1, 2 },   // ResNet-20's stride-2 layers: 32×32 → 16×16
        { 2, 32, 16, 16, 64, 1, 2 },   // 16×16 → 8×8
        { 2, 5, 9, 11, 6, 1, 2 },      // odd sizes: 5×6 output, the row's last input column read
        { 2, 4, 40, 37, 3, 0, 2 },     // no padding, rows of 18 (a second, 2-lane gather per row)
        { 2, 3, 7, 10, 5, 2, 2 },      // padding 2
        // Shapes for the filter-block tile (FilterBlockConvolution: 64 filters × 6 positions), though every shape runs both
        // the position tile and it.
        { 1, 64, 8, 8, 64, 1, 1 },     // batch 1, 64 positions: one whole block, a 4-position last tile
        { 2, 48, 7, 7, 40, 1, 1 },     // 49 positions, 40 filters: a block of 40 (half of its third vector), a 1-position tile
        { 1, 33, 14, 14, 17, 1, 1 },   // 196 positions, 17 filters: one block of 17, odd channels
        { 1, 136, 14, 14, 128, 1, 1 }, // the size rule's shape class: two blocks, 196 = 32·6 + 4, chunks of channels
        { 2, 72, 7, 7, 64, 1, 2 },     // stride 2 to 4×4: 16 positions (a 4-position tile)
        { 2, 32, 16, 16, 48, 1, 2 },   // stride 2 to 8×8, 48 filters
        { 1, 40, 9, 11, 35, 0, 1 },    // no padding, 7×9 output (63 = 10·6 + 3), 35 filters
        { 1, 24, 13, 13, 97, 1, 2 },   // stride 2 to 7×7, 97 filters: a 1-filter second block
        // Shapes for the one padded copy (rows of whole vectors, padding 1), though every shape runs it where it applies.
        { 2, 5, 9, 16, 7, 1, 1 },      // 16 wide, 9 rows: a 1-vector last tile, a 3-filter tail
        { 1, 3, 4, 48, 6, 1, 1 },      // 48 wide: three vectors a row, tiles across rows
        { 2, 20, 3, 32, 9, 1, 1 },     // 3 rows of 32: a 2-vector last tile
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EqualsIm2ColAndTheScalarChainBitForBit(int batch, int channels, int height, int width, int filters, int pad, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, pad, stride);
        if (PackedGemm.Bits != 512)
        {
            PaddedDirectConvolution.Forced = true;
            Assert.False(PaddedDirectConvolution.Applies<float>(l));
            return;
        }
        var rng = new Random(height * 31 + channels);
        float[] x = ConvolutionChain.Values(rng, batch * channels * l.InputSize), w = ConvolutionChain.Values(rng, filters * l.GroupRows);
        float[] scale = ConvolutionChain.Values(rng, filters), shift = ConvolutionChain.Values(rng, filters);
        float[] chain = ConvolutionChain.Scalar(l, x, w);
        Assert.Contains(chain, v => v != 0);
        foreach (Activation? activation in new Activation?[] { null, Activation.Relu, Activation.Tanh })
        {
            foreach (bool epilogue in new[] { false, true })
            {
                float[] expected = epilogue ? ConvolutionChain.Epilogue(l, chain, scale, shift, activation) : chain;
                float[] plain = Run(l, x, w, scale, shift, epilogue, activation, direct: false, threads: 1);
                Assert.Equal(expected, plain);
                foreach (int threads in new[] { 1, 2 })
                {
                    foreach (bool blocks in new[] { false, true })
                    {
                        Assert.Equal(expected, Run(l, x, w, scale, shift, epilogue, activation, direct: true, threads, blocks));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The position tile by chunks of channels (the accumulators parked between chunks: 1 channel a chunk, and chunks that
    /// leave a shorter last one; 4 and 8 filters parked at a time, so several parks a tile and a partial last group) and
    /// with whole-plane copies, each on and off: the scalar chain's bits, at 1 and 2 threads, with and without the epilogue.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void ChunksAndPlaneCopiesKeepTheBits(int batch, int channels, int height, int width, int filters, int pad, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, pad, stride);
        if (PackedGemm.Bits != 512)
        {
            return; // the path never applies (EqualsIm2ColAndTheScalarChainBitForBit checks that)
        }
        var rng = new Random(height * 37 + channels);
        float[] x = ConvolutionChain.Values(rng, batch * channels * l.InputSize), w = ConvolutionChain.Values(rng, filters * l.GroupRows);
        float[] scale = ConvolutionChain.Values(rng, filters), shift = ConvolutionChain.Values(rng, filters);
        float[] chain = ConvolutionChain.Scalar(l, x, w), relu = ConvolutionChain.Epilogue(l, chain, scale, shift, Activation.Relu);
        bool strided = stride == 2;
        int perChannel = (strided ? 9 : 3) * (64 + (strided ? 0 : 2 * l.Width.Output)) * sizeof(float);
        foreach ((int chunk, int park) in new[] { (1, 4), (3, 8), (5, 64) })
        {
            PaddedDirectConvolution.ChunkedTiles = true;
            (PaddedDirectConvolution.ChunkBytes, PaddedDirectConvolution.ParkFilters) = (chunk * perChannel, park);
            Assert.Equal(chunk < channels, PaddedDirectConvolution.Chunks(l).Channels > 0);
            foreach (bool planes in new[] { false, true })
            {
                PaddedDirectConvolution.PlaneCopy = planes;
                foreach (int threads in new[] { 1, 2 })
                {
                    Assert.Equal(chain, Run(l, x, w, scale, shift, epilogue: false, null, direct: true, threads));
                    Assert.Equal(relu, Run(l, x, w, scale, shift, epilogue: true, Activation.Relu, direct: true, threads));
                }
            }
        }
    }

    /// <summary>
    /// The 8 × 3 position tile (filter counts not multiples of 8: the repeated last filter not stored; planes not multiples of
    /// 48 positions: the repeated last vector) and the six stride-2 copies written row by row (forced on every stride-2 shape:
    /// paddings 0 and 2, odd sizes, the masked chunks), each on, off and by the rule, with the residual added after the in-register epilogue too:
    /// the scalar chain's bits, at 1 and 2 threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void TileShapesAndRowCopiesKeepTheBits(int batch, int channels, int height, int width, int filters, int pad, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, pad, stride);
        if (PackedGemm.Bits != 512)
        {
            return; // the path never applies (EqualsIm2ColAndTheScalarChainBitForBit checks that)
        }
        Expectation e = Expect(l, new Random(height * 41 + channels));
        PaddedDirectConvolution.ChunkedTiles = null;
        foreach (bool? tile in new bool?[] { false, true, null })
        {
            foreach (bool? rows in new bool?[] { false, true, null })
            {
                (PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.RowCopies) = (tile, rows);
                foreach (int threads in new[] { 1, 2 })
                {
                    AssertEpilogues(l, e, threads);
                }
            }
        }
    }

    /// <summary>
    /// One padded copy read at unaligned offsets (rows of whole vectors, padding 1) against the three shifted copies, with the
    /// 4 × 4 and 8 × 3 tiles, by chunks of channels and not, with and without the in-register epilogue and the residual: the
    /// scalar chain's bits at 1 and 2 threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(Shapes))]
    public void OneCopyKeepsTheBits(int batch, int channels, int height, int width, int filters, int pad, int stride)
    {
        ConvolutionLayout l = ConvolutionChain.Layout(batch, channels, height, width, filters, pad, stride);
        if (PackedGemm.Bits != 512)
        {
            return; // the path never applies (EqualsIm2ColAndTheScalarChainBitForBit checks that)
        }
        Expectation e = Expect(l, new Random(height * 43 + channels));
        (PaddedDirectConvolution.ChunkBytes, PaddedDirectConvolution.ParkFilters) = (3 * 3 * 128 * sizeof(float), 8);
        foreach (bool one in new[] { false, true })
        {
            PaddedDirectConvolution.OneCopy = one;
            foreach ((bool? tile, bool? chunks) in new (bool?, bool?)[] { (false, false), (true, false), (false, true) })
            {
                (PaddedDirectConvolution.Tile8x3, PaddedDirectConvolution.ChunkedTiles) = (tile, chunks);
                foreach (int threads in new[] { 1, 2 })
                {
                    AssertEpilogues(l, e, threads);
                }
            }
        }
    }

    [Fact]
    public void OneCopyIsTakenOnPaddedStrideOneLayersWithRowsOfWholeVectors()
    {
        PaddedDirectConvolution.OneCopy = null;
        Assert.True(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));   // ResNet-20 stage 1
        Assert.True(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 32, 16, 16, 32, 1)));   // stage 2
        Assert.True(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 3, 32, 32, 16, 1)));    // the RGB first layer
        Assert.False(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)));    // 8 wide: vectors span rows
        Assert.False(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2))); // stride 2
        Assert.False(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(2, 3, 6, 16, 5, 2)));       // padding 2
        Assert.False(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(2, 7, 10, 18, 9, 0)));      // no padding: 16-wide output of 18-wide rows
        PaddedDirectConvolution.OneCopy = false;
        Assert.False(PaddedDirectConvolution.UsesOneCopy(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
    }

    [Fact]
    public void TheSizeRuleKeepsTheFourByFourTileAndTakesSixCopiesOnStrideTwoLayers()
    {
        PaddedDirectConvolution.Tile8x3 = null;
        Assert.False(PaddedDirectConvolution.Uses8x3(default));
        PaddedDirectConvolution.Tile8x3 = true;
        Assert.True(PaddedDirectConvolution.Uses8x3(default));
        Assert.False(PaddedDirectConvolution.Uses8x3(new PaddedDirectConvolution.ChunkPlan(4, 64))); // chunks park the 4 × 4 tile
        PaddedDirectConvolution.RowCopies = null;
        Assert.True(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2)));  // 16×16 outputs
        Assert.True(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2)));  // 8×8
        Assert.Equal((6, 9), PaddedDirectConvolution.CopyShape(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2))); // six copies, one row longer
        Assert.False(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(2, 24, 13, 13, 97, 1, 2)));   // 7×7: narrower than 8
        Assert.False(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));    // stride 1
        Assert.False(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(2, 4, 40, 37, 3, 0, 2)));     // padding 0
        PaddedDirectConvolution.RowCopies = true;
        Assert.True(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(2, 24, 13, 13, 97, 1, 2)));
        PaddedDirectConvolution.RowCopies = false;
        Assert.False(PaddedDirectConvolution.CopiesStridedRows(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2)));
        Assert.Equal((9, 16), PaddedDirectConvolution.CopyShape(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2)));
    }

    [Fact]
    public void ChunksAreTakenByTheSizeRuleOnStrideTwoLayersOnly()
    {
        PaddedDirectConvolution.ChunkedTiles = null;
        PaddedDirectConvolution.ChunkBytes = 16384;
        // ResNet-20's 32×16×16 → 64 stride 2: a tile's rows of the nine copies, 72 KB, outgrow the first-level cache.
        Assert.Equal(7, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2)).Channels);
        Assert.Equal(64, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2)).Filters);
        // Its 16×32×32 → 32 stride 2 (36 KB) and the stride-1 layers (VGG's 32×32×32, ResNet-20's 64×8×8) run all channels at once.
        Assert.Equal(0, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2)).Channels);
        Assert.Equal(0, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)).Channels);
        Assert.Equal(0, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)).Channels);
        PaddedDirectConvolution.ChunkedTiles = true;
        Assert.Equal(10, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)).Channels);
        PaddedDirectConvolution.ChunkedTiles = false;
        Assert.Equal(0, PaddedDirectConvolution.Chunks(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2)).Channels);
    }

    [Fact]
    public void PlaneCopiesAreTakenByTheSizeRuleOnPlanesUpTo16Wide()
    {
        PaddedDirectConvolution.PlaneCopy = null;
        Assert.True(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)));
        Assert.True(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 32, 16, 16, 32, 1)));
        Assert.False(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)));
        Assert.False(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1, 2))); // stride 2: nine gathered copies
        Assert.False(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(2, 7, 10, 13, 9, 0))); // no padding: narrower output rows
        PaddedDirectConvolution.PlaneCopy = true;
        Assert.True(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)));
        Assert.False(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(2, 3, 6, 9, 5, 2))); // padding 2: wider output rows
        PaddedDirectConvolution.PlaneCopy = false;
        Assert.False(PaddedDirectConvolution.CopiesPlanes(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)));
    }

    /// <summary>The chain's outputs through the separate epilogue pass's per-plane function.</summary>
    /// <summary>Random inputs of a layer and the scalar chain's outputs: plain, with batch norm + ReLU, and with the residual too.</summary>
    private sealed record Expectation(float[] X, float[] W, float[] Scale, float[] Shift, float[] Residual, float[] Chain, float[] Relu, float[] Sum);

    private static Expectation Expect(ConvolutionLayout l, Random rng)
    {
        float[] x = ConvolutionChain.Values(rng, l.Batch * l.Channels * l.InputSize), w = ConvolutionChain.Values(rng, l.Filters * l.GroupRows);
        float[] scale = ConvolutionChain.Values(rng, l.Filters), shift = ConvolutionChain.Values(rng, l.Filters), residual = ConvolutionChain.Values(rng, l.Batch * l.Filters * l.OutputSize);
        float[] chain = ConvolutionChain.Scalar(l, x, w);
        // The residual as the separate passes round it: scale·acc + shift, then + r, then ReLU.
        float[] sum = ConvolutionChain.Epilogue(l, chain, scale, shift, null);
        for (int i = 0; i < sum.Length; i++)
        {
            sum[i] = MathF.Max(sum[i] + residual[i], 0f);
        }
        return new Expectation(x, w, scale, shift, residual, chain, ConvolutionChain.Epilogue(l, chain, scale, shift, Activation.Relu), sum);
    }

    /// <summary>The padded direct kernel on <paramref name="threads"/> threads gives the expected bits with each epilogue.</summary>
    private void AssertEpilogues(ConvolutionLayout l, Expectation e, int threads)
    {
        Assert.Equal(e.Chain, Run(l, e.X, e.W, e.Scale, e.Shift, epilogue: false, null, direct: true, threads));
        Assert.Equal(e.Relu, Run(l, e.X, e.W, e.Scale, e.Shift, epilogue: true, Activation.Relu, direct: true, threads));
        Assert.Equal(e.Sum, Run(l, e.X, e.W, e.Scale, e.Shift, epilogue: true, Activation.Relu, direct: true, threads, residual: e.Residual));
    }

    [Fact]
    public void TheSizeRuleChoosesThePath()
    {
        RulesDecide(filterBlock: false); // the position tile's own rule (the filter-block tile's: below)
        bool wide = PackedGemm.Bits == 512;
        // CIFAR ResNet-20's and VGG-CIFAR's stride-1 layers.
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 16, 16, 32, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 128, 8, 8, 128, 1)));
        // Their first layers of 3 channels too; 4–15 channels were not measured and stay out.
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 3, 32, 32, 16, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 3, 32, 32, 32, 1)));
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 8, 32, 32, 16, 1)));
        // Stride 2 too, the same on both axes. Not ResNet-18's (Winograd, batched), a 7×7 plane, mixed strides, 5×5, double, or when another path is forced on.
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 64, 56, 56, 64, 1)));
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 256, 14, 14, 256, 1)));
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 64, 7, 7, 64, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 32, 1, 2)));
        var mixed = new ConvolutionLayout(128, 16, 32, 1, ConvolutionAxis.Unit, new ConvolutionAxis(32, 16, 3, 2, 1, 1), new ConvolutionAxis(32, 32, 3, 1, 1, 1));
        Assert.False(PaddedDirectConvolution.Applies<float>(mixed));
        var five = new ConvolutionAxis(32, 32, 5, 1, 2, 1);
        Assert.False(PaddedDirectConvolution.Applies<float>(new ConvolutionLayout(128, 16, 16, 1, ConvolutionAxis.Unit, five, five)));
        Assert.False(PaddedDirectConvolution.Applies<double>(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        WinogradConvolution.Forced = true;
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        WinogradConvolution.Forced = null;
        PaddedDirectConvolution.Forced = false;
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        PaddedDirectConvolution.Forced = true;
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 64, 56, 56, 64, 1)));
    }

    [Fact]
    public void StrideOneLayersWhoseCopiesOutgrowTheSecondLevelCacheAreLeftToWinograd()
    {
        RulesDecide(filterBlock: false);
        bool wide = PackedGemm.Bits == 512;
        // ResNet-18's (128,28,28)→128: three copies of 128 × 30 × 28 floats, 1.29 MB.
        ConvolutionLayout r18 = ConvolutionChain.Layout(16, 128, 28, 28, 128, 1);
        Assert.False(PaddedDirectConvolution.CopiesFitCache(r18));
        Assert.False(PaddedDirectConvolution.Applies<float>(r18));
        Assert.True(WinogradConvolution.Applies<float>(r18, ConvolutionPass.Forward));
        // 80 channels on 32×32 (1,044,480 bytes) still fit, 81 do not; VGG-CIFAR's and ResNet-20's layers all fit.
        Assert.True(PaddedDirectConvolution.CopiesFitCache(ConvolutionChain.Layout(16, 80, 32, 32, 64, 1)));
        Assert.False(PaddedDirectConvolution.CopiesFitCache(ConvolutionChain.Layout(16, 81, 32, 32, 64, 1)));
        // VGG-CIFAR's 32×32×32 → 32 fits, but Winograd's forward rule takes it (faster there); its other layers stay.
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)));
        Assert.True(WinogradConvolution.TakesWideForward(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 16, 16, 64, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 128, 8, 8, 128, 1)));
        // Stride 2 keeps the earlier rule (Winograd has no stride 2).
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 128, 56, 56, 128, 1, 2)));
        // ENGINE_PADDED_DIRECT_L2=off: the earlier rule.
        PaddedDirectConvolution.CacheRule = false;
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(r18));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 32, 32, 32, 32, 1)));
    }

    [Fact]
    public void TheSizeRuleChoosesTheFilterBlockTile()
    {
        RulesDecide(filterBlock: null);
        bool wide = PackedGemm.Bits == 512;
        // ResNet-18's 256-channel 14×14 stride-1 layers (the batched product's before): the filter-block tile in the padded kernel,
        // unless Winograd's deep rule takes them (ENGINE_WINOGRAD_DEEP, PrepackedFiltersTests).
        ConvolutionLayout r18 = ConvolutionChain.Layout(16, 256, 14, 14, 256, 1);
        WinogradConvolution.Deep = true;
        Assert.False(FilterBlockConvolution.Chosen(r18));
        WinogradConvolution.Deep = false;
        Assert.True(FilterBlockConvolution.Chosen(r18));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(r18));
        // Measured slower: ResNet-20's 16×16 and 8×8 (the position tile), ResNet-18's 7×7 and its stride-2 layer to 14×14
        // (the batched product), and 16-channel layers; the padded kernel's own rule is unchanged for them.
        foreach (ConvolutionLayout l in new[] { ConvolutionChain.Layout(128, 32, 16, 16, 32, 1), ConvolutionChain.Layout(128, 64, 8, 8, 64, 1), ConvolutionChain.Layout(16, 512, 7, 7, 512, 1),
            ConvolutionChain.Layout(16, 256, 14, 14, 512, 1, 2), ConvolutionChain.Layout(16, 128, 28, 28, 256, 1, 2), ConvolutionChain.Layout(128, 16, 32, 32, 16, 1), ConvolutionChain.Layout(16, 128, 28, 28, 128, 1) })
        {
            Assert.False(FilterBlockConvolution.Chosen(l));
        }
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)));
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 512, 7, 7, 512, 1)));
        Assert.False(PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 64, 56, 56, 64, 1)));
        // Off: the old rule (ResNet-18's 14×14 back to the batched product); on: everywhere the padded kernel fits.
        FilterBlockConvolution.Forced = false;
        Assert.False(PaddedDirectConvolution.Applies<float>(r18));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(128, 64, 8, 8, 64, 1)));
        FilterBlockConvolution.Forced = true;
        Assert.True(FilterBlockConvolution.Chosen(ConvolutionChain.Layout(128, 16, 32, 32, 16, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 512, 7, 7, 512, 1)));
        Assert.Equal(wide, PaddedDirectConvolution.Applies<float>(ConvolutionChain.Layout(16, 64, 56, 56, 64, 1)));
        PaddedDirectConvolution.Forced = false;
        Assert.False(PaddedDirectConvolution.Applies<float>(r18));
    }

    private float[] Run(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, bool epilogue, Activation? activation, bool direct, int threads,
        bool blocks = false, float[]? residual = null)
    {
        PaddedDirectConvolution.Forced = direct;
        RowFilterConvolution.Forced = false; // the padded kernel itself (RowFilterConvolutionTests compare that kernel with it)
        FilterBlockConvolution.Forced = blocks;
        Assert.Equal(blocks, FilterBlockConvolution.Chosen(l));
        BatchedConvolution.Forced = false;
        WinogradConvolution.Forced = false;
        WorkerPool.Width = threads;
        Assert.Equal(direct, PaddedDirectConvolution.Applies<float>(l));
        return ConvolutionChain.Kernels(l, x, w, scale, shift, epilogue, activation, residual);
    }

    /// <summary>Every path's size rule decides (none forced), the padded kernel's cache rule on; the filter-block tile as given.</summary>
    private static void RulesDecide(bool? filterBlock)
    {
        PaddedDirectConvolution.Forced = null;
        BatchedConvolution.Forced = null;
        WinogradConvolution.Forced = null;
        FilterBlockConvolution.Forced = filterBlock;
        PaddedDirectConvolution.CacheRule = true;
    }
}
