namespace Engine.Layers.Standard;

/// <summary>
/// A reshaped view of a tensor, made once and reused for as long as the same tensor comes back.
/// Layers that see their input or output under another shape (a pooling primitive on a reshaped
/// maxout input, global pooling's N×C output) would otherwise create a view object every step.
/// </summary>
internal sealed class ViewCache
{
    private Tensor? _source;
    private Tensor? _view;

    /// <summary>
    /// <paramref name="source"/> seen as N×<paramref name="sampleShape"/>. The caller passes the same
    /// sample shape every time: a tensor's shape never changes, so the same tensor gives the same view.
    /// </summary>
    public Tensor Of(Tensor source, Shape sampleShape)
    {
        if (_view is null || !ReferenceEquals(source, _source))
        {
            _view = source.Reshape(sampleShape.WithBatch(source.Shape[0]));
            _source = source;
        }
        return _view;
    }
}
