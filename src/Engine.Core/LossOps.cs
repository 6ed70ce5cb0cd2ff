namespace Engine.Core;

/// <summary>What the built-in losses share: their op descriptors and the expansion of class-index targets.</summary>
internal static class LossOps
{
    /// <summary>One descriptor per family in <paramref name="dataType"/>.</summary>
    public static IEnumerable<OpDescriptor> Describe(DataType dataType, params BackendOp[] families) =>
        families.Select(op => new OpDescriptor(op, dataType));

    /// <summary>
    /// The targets as values shaped like the predictions: N×K values are returned as they are;
    /// <see cref="DataType.Int32"/> class indices (one per row of N×K predictions) are expanded on the
    /// backend with <see cref="IBackend.OneHot"/> into <paramref name="oneHot"/>, made once and
    /// reused, so the loss then computes exactly what it computes for one-hot rows.
    /// </summary>
    public static Tensor Targets(string loss, Tensor predictions, Tensor targets, TensorBuffer oneHot)
    {
        if (targets.DataType != DataType.Int32)
        {
            return targets;
        }
        if (predictions.Shape.Rank != 2 || targets.Shape.Rank != 1 || targets.Shape[0] != predictions.Shape[0])
        {
            throw new ShapeException($"loss '{loss}': class-index targets {targets.Shape} need N×K predictions and one index per row, but the predictions are {predictions.Shape}");
        }
        Tensor y = oneHot.Get(predictions.Backend, predictions.DataType, predictions.Shape[0], predictions.Shape[1]);
        predictions.Backend.OneHot(targets, y);
        return y;
    }
}
