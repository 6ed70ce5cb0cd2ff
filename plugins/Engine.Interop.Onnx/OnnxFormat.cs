namespace Engine.Interop.Onnx;

/// <summary>The ONNX format: <see cref="OnnxImporter"/> reads, <see cref="OnnxExporter"/> writes.</summary>
public sealed class OnnxFormat : IModelFormat
{
    /// <inheritdoc/>
    public string Name => "onnx";

    /// <inheritdoc/>
    public string Description => $"ONNX models (ModelProto): import of CNN operators of opsets {OnnxImporter.MinOpset}–{OnnxImporter.MaxOpset}, export at opset {OnnxExporter.Opset} with a dynamic batch dimension";

    /// <inheritdoc/>
    public IReadOnlyList<string> Extensions { get; } = [".onnx"];

    /// <inheritdoc/>
    public ModelPackage Read(string path) => OnnxImporter.Read(path);

    /// <inheritdoc/>
    public void Write(ModelPackage model, string path) => OnnxExporter.Write(model, path);
}
