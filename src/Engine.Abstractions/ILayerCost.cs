namespace Engine;

/// <summary>
/// Optional for a layer: its arithmetic cost, for <c>engine summary</c> and FLOP estimates. Layers
/// whose work is negligible next to a product of matrices (activations, pooling, normalisation)
/// do not implement it and are reported as costing nothing.
/// </summary>
public interface ILayerCost
{
    /// <summary>
    /// Multiply-accumulates of one forward pass for one sample (no batch dimension); valid after
    /// <see cref="ILayer.Initialize"/>, 0 before.
    /// </summary>
    long MultiplyAccumulates { get; }
}
