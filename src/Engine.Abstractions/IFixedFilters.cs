namespace Engine;

/// <summary>
/// Optional for a layer whose filters are fixed rather than learned (hand-made kernels that are not
/// parameters, so they appear in no <see cref="ILayer.Parameters"/> list): it shows them, so that a
/// tool that draws a convolution's filters, such as <c>engine visualize</c>, can draw these too.
/// </summary>
public interface IFixedFilters
{
    /// <summary>The filters' shape: filters × input channels × height × width.</summary>
    Shape FilterShape { get; }

    /// <summary>The filters' values in <see cref="FilterShape"/> order (row-major).</summary>
    IReadOnlyList<float> FilterValues { get; }
}
