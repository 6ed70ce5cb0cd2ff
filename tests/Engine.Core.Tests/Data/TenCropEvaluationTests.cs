namespace Engine.Core.Tests.Data;

/// <summary>10-crop evaluation through a real network: global average pooling, whose logits are the
/// crops' channel means, so the averaged softmax can be worked out by hand.</summary>
public sealed class TenCropEvaluationTests
{
    [Fact]
    public void AveragesTheSoftmaxOfTheTenCrops()
    {
        using IBackend backend = TestEngine.CreateBackend();
        var spec = new ModelSpec("gap", [new LayerSpec("global_avg_pool")]);
        using Network network = Network.Build(spec, TestEngine.Catalog, backend, new Shape(3, 2, 2), seed: 1);

        // Each sample: channel 1 is 0.5 everywhere; channel 0 is v at the top-left pixel only, so the
        // 2×2 crops that hold it (top-left, centre and their mirrors: 4 of 10) have logits (v/4, 0.5, 0),
        // the other six (0, 0.5, 0).
        // v = 4:  mean p = 0.4·softmax(1, .5, 0) + 0.6·softmax(0, .5, 0) = (0.367, 0.394, 0.239) → class 1
        // v = 10: mean p = 0.4·softmax(2.5, .5, 0) + 0.6·softmax(0, .5, 0) = (0.493, 0.316, 0.191) → class 0
        static float[] Sample(float v)
        {
            var s = new float[27];
            s[0] = v;
            for (int i = 9; i < 18; i++)
            {
                s[i] = 0.5f;
            }
            return s;
        }
        var data = new ArrayDataset(new Shape(3, 3, 3), [Sample(4), Sample(10), Sample(4)], [1, 0, 0], 3);

        double accuracy = TenCropEvaluation.Evaluate(network, data, 2, 2, batchSize: 2);

        Assert.Equal(2.0 / 3, accuracy, 10);
    }

    [Fact]
    public void RejectsCropsThatDoNotFitTheModel()
    {
        using IBackend backend = TestEngine.CreateBackend();
        using Network network = Network.Build(new ModelSpec("gap", [new LayerSpec("global_avg_pool")]), TestEngine.Catalog, backend, new Shape(3, 2, 2), seed: 1);
        var data = new ArrayDataset(new Shape(3, 3, 3), [new float[27]], [0], 3);

        var error = Assert.Throws<ShapeException>(() => TenCropEvaluation.Evaluate(network, data, 3, 3, 1));
        Assert.Contains("takes [3, 2, 2] but the crops are [3, 3, 3]", error.Message, StringComparison.Ordinal);
    }
}
