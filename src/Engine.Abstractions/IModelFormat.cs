using System.Text.Json.Nodes;

namespace Engine;

/// <summary>
/// A file format for whole trained models, architecture and weights together (ONNX), that a plugin
/// reads and writes. The host picks a format by the file's extension, so that <c>engine import</c>,
/// <c>engine export</c> and <c>--model FILE</c> work with any format a plugin registers.
/// </summary>
public interface IModelFormat
{
    /// <summary>Name users write, e.g. <c>onnx</c>.</summary>
    string Name { get; }

    /// <summary>One line for listings.</summary>
    string Description { get; }

    /// <summary>File-name extensions of the format, with the dot, e.g. <c>.onnx</c>.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>
    /// Reads the model at <paramref name="path"/> into an engine model; a file that is malformed or
    /// uses something the engine cannot express is a <see cref="DataFormatException"/> naming the file
    /// and the part (node, operator, tensor).
    /// </summary>
    ModelPackage Read(string path);

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/>; a layer the format cannot express is a
    /// <see cref="ConfigurationException"/> naming the layer and its kind.
    /// </summary>
    void Write(ModelPackage model, string path);
}

/// <summary>
/// A model with its weights, as an <see cref="IModelFormat"/> reads or writes it. <see cref="State"/>
/// uses the checkpoint's names: every parameter as <c>params/&lt;layer&gt;.&lt;parameter&gt;</c>
/// (<c>params/conv1.weight</c>) and layer state under <c>layers/&lt;layer&gt;/</c>
/// (<c>layers/bn1/running_mean</c>).
/// </summary>
/// <param name="Spec">The layers.</param>
/// <param name="InputShape">The per-sample input shape (C×H×W); the batch dimension is not part of it.</param>
/// <param name="State">Parameter values and layer state.</param>
public sealed record ModelPackage(ModelSpec Spec, Shape InputShape, StateDictionary State)
{
    /// <summary>
    /// What the model carries besides its layers: <c>normalization</c> (<c>{"mean": […], "std": […]}</c>,
    /// the per-channel normalisation its inputs need), <c>class_names</c>, and anything else a format keeps.
    /// </summary>
    public JsonObject Metadata { get; init; } = [];
}
