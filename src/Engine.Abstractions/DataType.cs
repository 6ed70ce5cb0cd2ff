namespace Engine;

/// <summary>Element type of a <see cref="Tensor"/>.</summary>
public enum DataType
{
    /// <summary>IEEE 754 single precision; what networks train in.</summary>
    Float32,

    /// <summary>IEEE 754 double precision; used by gradient checks where a backend offers it, and by metric accumulators.</summary>
    Float64,

    /// <summary>32-bit signed integer: class labels (indices), not computed with.</summary>
    Int32,
}

/// <summary>Helpers for <see cref="DataType"/>.</summary>
public static class DataTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int SizeInBytes(this DataType type) => type switch
    {
        DataType.Float32 => 4,
        DataType.Float64 => 8,
        DataType.Int32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "unknown data type"),
    };

    /// <summary>The data type that matches a CLR element type.</summary>
    public static DataType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DataType.Float32
        : typeof(T) == typeof(double) ? DataType.Float64
        : typeof(T) == typeof(int) ? DataType.Int32
        : throw new NotSupportedException($"element type {typeof(T).Name} has no tensor data type (float, double and int do)");

    /// <summary>Whether values of this type are floating point (computed with), as opposed to labels.</summary>
    public static bool IsFloatingPoint(this DataType type) => type is DataType.Float32 or DataType.Float64;
}
