using System.Text.Json.Nodes;

namespace Engine;

/// <summary>A named network definition (LeNet-5, an MLP, …) that users instantiate by name.</summary>
public interface IModelDefinition
{
    /// <summary>Name users write, e.g. <c>mlp</c>.</summary>
    string Name { get; }

    /// <summary>One line for listings.</summary>
    string Description { get; }

    /// <summary>The layers, in order.</summary>
    ModelSpec Spec { get; }

    /// <summary>
    /// The per-sample input the model is meant for (e.g. 3×224×224 for an ImageNet network), which
    /// <c>engine summary</c> uses when no input shape or data set is given; null when the model has none.
    /// </summary>
    Shape? DefaultInput => null;
}

/// <summary>
/// A network: layer specifications in order. Each layer takes the previous layer's output unless it
/// names its inputs, which makes graphs (skip connections, parallel branches) possible.
/// </summary>
/// <param name="Name">Model name.</param>
/// <param name="Layers">The layers.</param>
public sealed record ModelSpec(string Name, IReadOnlyList<LayerSpec> Layers)
{
    /// <summary>
    /// Layers whose outputs are extra classifier outputs in training (GoogLeNet's auxiliary heads):
    /// the trainer adds <see cref="AuxiliaryOutput.Weight"/> × the loss on each to the main output's
    /// loss and back-propagates it; evaluation and prediction use the last layer's output only.
    /// </summary>
    public IReadOnlyList<AuxiliaryOutput> AuxiliaryOutputs { get; init; } = [];
}

/// <summary>An extra output of a <see cref="ModelSpec"/> used in training.</summary>
/// <param name="Layer">The name of the layer whose output it is.</param>
/// <param name="Weight">Its loss's weight in the training loss (GoogLeNet: 0.3).</param>
public sealed record AuxiliaryOutput(string Layer, double Weight);

/// <summary>One layer of a <see cref="ModelSpec"/>.</summary>
/// <param name="Kind">Registered layer kind, e.g. <c>dense</c>.</param>
/// <param name="Arguments">Its arguments, e.g. <c>{"units": 256}</c>.</param>
/// <param name="Name">Instance name; null gives kind + index.</param>
/// <param name="Inputs">Names of earlier layers (or <c>input</c>, the model input) feeding this one; null means the previous layer.</param>
public sealed record LayerSpec(string Kind, JsonObject? Arguments = null, string? Name = null, IReadOnlyList<string>? Inputs = null)
{
    /// <summary>The name by which a layer refers to the model's input.</summary>
    public const string ModelInput = "input";
}
