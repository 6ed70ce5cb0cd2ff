namespace Engine.Conformance;

/// <summary>
/// The SDK contract's refusals (see <see cref="BackendContract"/>): every backend refuses the same
/// wrong calls with the same exception types and messages naming the op and the values.
/// </summary>
internal static class ContractCases
{
    public static IEnumerable<KitCase> Cases()
    {
        foreach (DataType type in ConformanceKit.FloatTypes)
        {
            var conv = new OpDescriptor(BackendOp.Convolution, type) { Convolution = new ConvolutionGeometry([3, 3], [1, 1], [0, 0], [0, 0], [1, 1]), Shape = new Shape(2, 3, 6, 6) };
            yield return KitCase.Of($"{conv} refuses mismatched shapes", conv, c =>
            {
                ConvolutionGeometry g = conv.Convolution!;
                Tensor x = c.Allocate(new Shape(2, 3, 6, 6)), w = c.Allocate(new Shape(4, 2, 3, 3)), goodW = c.Allocate(new Shape(4, 3, 3, 3));
                Tensor y = c.Allocate(new Shape(2, 4, 5, 4)), goodY = c.Allocate(new Shape(2, 4, 4, 4));
                CaseContext.Refuses<ShapeException>(() => c.Backend.ConvolutionForward(g, x, w, goodY), "forward with w [4, 2, 3, 3]");
                CaseContext.Refuses<ShapeException>(() => c.Backend.ConvolutionForward(g, x, goodW, y), "forward with y [2, 4, 5, 4]");
                CaseContext.Refuses<ShapeException>(() => c.Backend.ConvolutionBackwardData(g, y, goodW, x), "backward data with dy [2, 4, 5, 4]");
                CaseContext.Refuses<ShapeException>(() => c.Backend.ConvolutionBackwardFilter(g, x, goodY, w), "backward filter with dw [4, 2, 3, 3]");
                CaseContext.Refuses<ShapeException>(() => c.Backend.ConvolutionForward(new ConvolutionGeometry([3], [1], [0], [0], [1]), x, goodW, goodY), "1-D geometry on 2-D data");
            });
            var pool = new OpDescriptor(BackendOp.Pooling, type) { Pooling = new PoolingGeometry(PoolingMode.Max, new ConvolutionGeometry([2, 2], [2, 2], [0, 0], [0, 0], [1, 1])), Shape = new Shape(2, 3, 6, 6) };
            yield return KitCase.Of($"{pool} refuses a wrong output shape, naming both", pool, c =>
                CaseContext.Refuses<ShapeException>(() => c.Backend.PoolingForward(pool.Pooling!, c.Allocate(new Shape(2, 3, 6, 6)), c.Allocate(new Shape(2, 3, 2, 3))),
                    "y [2, 3, 2, 3]", "PoolingForward", "[2, 3, 3, 3]", "[2, 3, 2, 3]"));
            var copy = new OpDescriptor(BackendOp.CopyChannels, type) { Shape = new Shape(2, 5, 3) };
            yield return KitCase.Of($"{copy} refuses ranges and shapes that do not fit", copy, c =>
            {
                Tensor source = c.Allocate(new Shape(2, 5, 3)), destination = c.Allocate(new Shape(2, 4, 3));
                Tensor otherBatch = c.Allocate(new Shape(3, 4, 3)), otherSpatial = c.Allocate(new Shape(2, 4, 2));
                CaseContext.Refuses<ArgumentException>(() => c.Backend.CopyChannels(source, 3, destination, 0, 3), "3 channels from offset 3 of 5", "3 channels from offset 3", "5 channels");
                CaseContext.Refuses<ArgumentException>(() => c.Backend.CopyChannels(source, 0, destination, 2, 3), "3 channels into offset 2 of 4");
                CaseContext.Refuses<ArgumentException>(() => c.Backend.CopyChannels(source, -1, destination, 0, 1), "offset -1");
                CaseContext.Refuses<ArgumentException>(() => c.Backend.CopyChannels(source, 0, destination, 0, -1), "-1 channels");
                CaseContext.Refuses<ShapeException>(() => c.Backend.CopyChannels(source, 0, otherBatch, 0, 1), "another batch size", "N = 2", "N = 3");
                CaseContext.Refuses<ShapeException>(() => c.Backend.CopyChannels(source, 0, otherSpatial, 0, 1), "another spatial size");
            });
            var scale = new OpDescriptor(BackendOp.ScaleChannels, type) { Shape = new Shape(2, 3, 4) };
            yield return KitCase.Of($"{scale} refuses a scale of the wrong length", scale, c =>
                CaseContext.Refuses<ShapeException>(() => c.Backend.ScaleChannels(c.Allocate(new Shape(2, 3, 4)), c.Allocate(new Shape(4)), c.Allocate(new Shape(2, 3, 4))),
                    "scale of 4 for 3 channels", "3 channels"));
            var dropout = new OpDescriptor(BackendOp.Dropout, type) { Shape = new Shape(4) };
            yield return KitCase.Of($"{dropout} refuses probabilities outside [0, 1)", dropout, c =>
            {
                foreach (double p in new[] { 1.0, -0.1, double.NaN })
                {
                    CaseContext.Refuses<ArgumentOutOfRangeException>(() => c.Backend.DropoutMask(c.Allocate(new Shape(4)), p, 1), $"p = {p}", "DropoutMask");
                }
            });
            var adam = new OpDescriptor(BackendOp.OptimizerUpdate, type) { Rule = UpdateRule.Adam, Shape = new Shape(3) };
            yield return KitCase.Of($"{adam} refuses a missing state, naming it", adam, c =>
                CaseContext.Refuses<ArgumentNullException>(() => c.Backend.OptimizerUpdate(UpdateRule.Adam,
                    new UpdateHyperparameters { BiasCorrection1 = 0.1, BiasCorrection2 = 0.001 }, c.Allocate(new Shape(3)), c.Allocate(new Shape(3)), null, null, null),
                    "Adam without state1", "state1"));
            var sgd = new OpDescriptor(BackendOp.OptimizerUpdate, type) { Rule = UpdateRule.Sgd, Shape = new Shape(3) };
            yield return KitCase.Of($"{sgd} needs no state", sgd, c =>
            {
                Tensor value = c.Upload(new Shape(3), [1, 1, 1]), gradient = c.Upload(new Shape(3), [2, 2, 2]);
                c.Backend.OptimizerUpdate(UpdateRule.Sgd, new UpdateHyperparameters { LearningRate = 0.25 }, value, gradient, null, null, null);
                CaseContext.Exact([0.5, 0.5, 0.5], value, "value");
            });
        }
    }
}
