namespace Engine.Datasets.Idx;

/// <summary>
/// The contents of an unsigned-byte IDX file, as read by <see cref="IdxReader"/>.
/// </summary>
/// <param name="Path">The file it came from, as given to the reader (error messages name it).</param>
/// <param name="Dimensions">The sizes from the header, outermost first: [count, rows, cols] for
/// an image file, [count] for a label file.</param>
/// <param name="Data">All data bytes, row-major, exactly as many as the dimensions promise.</param>
public sealed record IdxFile(string Path, IReadOnlyList<int> Dimensions, byte[] Data)
{
    /// <summary>The number of items: the first (outermost) dimension.</summary>
    public int Count => Dimensions[0];
}
