namespace Engine;

/// <summary>Shorthands over <see cref="IBackend"/>.</summary>
public static class BackendExtensions
{
    /// <summary>Whether the backend supports <paramref name="op"/> for <paramref name="dataType"/> with no further parameters (the family's plain case).</summary>
    public static bool Supports(this IBackend backend, BackendOp op, DataType dataType) =>
        backend.Supports(new OpDescriptor(op, dataType));
}
