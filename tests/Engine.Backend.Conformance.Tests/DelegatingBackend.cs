namespace Engine.Backend.Conformance.Tests;

/// <summary>
/// The base of the deliberately broken backends: a <see cref="BackendDecorator"/> that owns its
/// inner backend and renames it. Tests override one member to break it.
/// </summary>
public class DelegatingBackend(IBackend inner) : BackendDecorator(inner, ownsInner: true)
{
    public override string Name => "broken-" + Inner.Name;

    public override string Description => "a test decorator over " + Inner.Name;
}
