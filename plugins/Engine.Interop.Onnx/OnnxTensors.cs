using System.Buffers.Binary;
using System.Globalization;
using Onnx;

namespace Engine.Interop.Onnx;

/// <summary>A constant of the graph (an initializer or a Constant node's value): dims and its values as float and as int64.</summary>
internal sealed record ConstantValue(long[] Dims, float[] Floats, long[] Ints)
{
    public long ElementCount => Floats.Length;
}

/// <summary>
/// Decodes ONNX tensors after checking them: dims non-negative, the element count equal to the data
/// actually present (so a header that claims terabytes is refused before anything is allocated), no
/// external data (never read: a path could point anywhere), and a numeric type.
/// </summary>
internal static class OnnxTensors
{
    public static ConstantValue Decode(TensorProto tensor, string owner)
    {
        string what = $"{owner} tensor '{tensor.Name}'";
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External || tensor.ExternalData.Count > 0)
        {
            string location = tensor.ExternalData.FirstOrDefault(e => e.Key == "location")?.Value ?? "?";
            throw new FormatException($"{what} keeps its data in an external file ('{location}'), which is never read; save the model with its weights inside the .onnx file");
        }
        long count = 1;
        foreach (long d in tensor.Dims)
        {
            if (d < 0)
            {
                throw new FormatException($"{what} has a negative dimension ({Dims(tensor.Dims)})");
            }
            // A zero dimension makes the product 0 whatever the others are: bound each, as engine shapes are 32-bit.
            if (d > int.MaxValue)
            {
                throw new FormatException($"{what} has a dimension over {int.MaxValue} ({Dims(tensor.Dims)})");
            }
            count = d == 0 ? 0 : count > long.MaxValue / d ? throw new FormatException($"{what} has dimensions {Dims(tensor.Dims)} whose product overflows") : count * d;
        }
        var type = (TensorProto.Types.DataType)tensor.DataType;
        int size = type switch
        {
            TensorProto.Types.DataType.Float or TensorProto.Types.DataType.Int32 => 4,
            TensorProto.Types.DataType.Double or TensorProto.Types.DataType.Int64 => 8,
            _ => throw new FormatException($"{what} is of type {type}; only float, double, int32 and int64 tensors are read"),
        };
        int present = tensor.RawData.Length > 0 ? tensor.RawData.Length / size : type switch
        {
            TensorProto.Types.DataType.Float => tensor.FloatData.Count,
            TensorProto.Types.DataType.Double => tensor.DoubleData.Count,
            TensorProto.Types.DataType.Int32 => tensor.Int32Data.Count,
            _ => tensor.Int64Data.Count,
        };
        if (count != present || (tensor.RawData.Length > 0 && tensor.RawData.Length % size != 0))
        {
            throw new FormatException($"{what} has dimensions {Dims(tensor.Dims)} ({count} elements) but holds {present} values");
        }
        var floats = new float[count];
        var ints = new long[count];
        ReadOnlySpan<byte> raw = tensor.RawData.Span;
        for (int i = 0; i < count; i++)
        {
            (double value, long integer) = type switch
            {
                TensorProto.Types.DataType.Float => F(raw.Length > 0 ? BinaryPrimitives.ReadSingleLittleEndian(raw[(4 * i)..]) : tensor.FloatData[i]),
                TensorProto.Types.DataType.Double => F(raw.Length > 0 ? BinaryPrimitives.ReadDoubleLittleEndian(raw[(8 * i)..]) : tensor.DoubleData[i]),
                TensorProto.Types.DataType.Int32 => I(raw.Length > 0 ? BinaryPrimitives.ReadInt32LittleEndian(raw[(4 * i)..]) : tensor.Int32Data[i]),
                _ => I(raw.Length > 0 ? BinaryPrimitives.ReadInt64LittleEndian(raw[(8 * i)..]) : tensor.Int64Data[i]),
            };
            floats[i] = (float)value;
            ints[i] = integer;
        }
        return new ConstantValue(tensor.Dims.ToArray(), floats, ints);
    }

    public static string Dims(IEnumerable<long> dims) => "[" + string.Join(", ", dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static (double, long) F(double v) => (v, double.IsFinite(v) ? (long)v : 0);

    private static (double, long) I(long v) => (v, v);
}
