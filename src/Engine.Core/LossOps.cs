namespace Engine.Core;

/// <summary>Describes the plain op families a loss uses (a loss's ops have no parameters that decide a kernel).</summary>
internal static class LossOps
{
    /// <summary>One descriptor per family in <paramref name="dataType"/>.</summary>
    public static IEnumerable<OpDescriptor> Describe(DataType dataType, params BackendOp[] families) =>
        families.Select(op => new OpDescriptor(op, dataType));
}
