namespace Engine.Interop.Onnx;
internal static partial class OnnxImporter
{
    public const int MinOpset = 9;
    public const int MaxOpset = 21;
    public static ModelPackage Read(string path) => throw new NotImplementedException(path);
}
