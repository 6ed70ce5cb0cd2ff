namespace Engine.Core;

/// <summary>
/// Everything the plugins registered, looked up by the names users write. An unknown name is an
/// error that lists the known ones. The host refuses two registrations of one name (EngineHost).
/// </summary>
public sealed class ComponentCatalog(
    IEnumerable<IBackendProvider> backends,
    IEnumerable<ILayerFactory> layers,
    IEnumerable<ILossFactory> losses,
    IEnumerable<IOptimizerFactory> optimizers,
    IEnumerable<IDatasetLoader> datasets,
    IEnumerable<IModelDefinition> models)
{
    /// <summary>Backend providers in registration order.</summary>
    public IReadOnlyList<IBackendProvider> Backends { get; } = backends.ToList();

    /// <summary>Layer factories.</summary>
    public IReadOnlyList<ILayerFactory> Layers { get; } = layers.ToList();

    /// <summary>Loss factories.</summary>
    public IReadOnlyList<ILossFactory> Losses { get; } = losses.ToList();

    /// <summary>Optimiser factories.</summary>
    public IReadOnlyList<IOptimizerFactory> Optimizers { get; } = optimizers.ToList();

    /// <summary>Data-set loaders.</summary>
    public IReadOnlyList<IDatasetLoader> Datasets { get; } = datasets.ToList();

    /// <summary>Model definitions.</summary>
    public IReadOnlyList<IModelDefinition> Models { get; } = models.ToList();

    /// <summary>The layer factory called <paramref name="name"/>.</summary>
    public ILayerFactory Layer(string name) => Find(Layers, l => l.Name, name, "layer kind");

    /// <summary>The loss factory called <paramref name="name"/>.</summary>
    public ILossFactory Loss(string name) => Find(Losses, l => l.Name, name, "loss");

    /// <summary>The optimiser factory called <paramref name="name"/>.</summary>
    public IOptimizerFactory Optimizer(string name) => Find(Optimizers, o => o.Name, name, "optimizer");

    /// <summary>The data-set loader called <paramref name="name"/>.</summary>
    public IDatasetLoader Dataset(string name) => Find(Datasets, d => d.Name, name, "dataset");

    /// <summary>The model called <paramref name="name"/>.</summary>
    public IModelDefinition Model(string name) => Find(Models, m => m.Name, name, "model");

    /// <summary>
    /// The backend provider for <paramref name="device"/>: a backend name (e.g. <c>openblas</c>), or a
    /// device kind (<c>cpu</c>, <c>gpu</c>) meaning the first available backend of that kind, or
    /// <c>auto</c>: the first available GPU backend, else the first available CPU backend (the only
    /// choice that falls back to the CPU silently).
    /// </summary>
    public IBackendProvider Backend(string device)
    {
        if (string.Equals(device, "auto", StringComparison.OrdinalIgnoreCase))
        {
            return Backends.FirstOrDefault(b => b.Device == DeviceKind.Gpu && b.Probe().IsAvailable) ?? Backend("cpu");
        }
        if (Enum.TryParse(device, ignoreCase: true, out DeviceKind kind))
        {
            var ofKind = Backends.Where(b => b.Device == kind).ToList();
            if (ofKind.Count == 0)
            {
                throw new ConfigurationException($"no {kind.ToString().ToLowerInvariant()} backend plugin is loaded; loaded backends: {Names(Backends, b => b.Name)} (run 'engine plugins' to see what failed to load)");
            }
            return ofKind.FirstOrDefault(b => b.Probe().IsAvailable) ?? ofKind[0];
        }
        return Find(Backends, b => b.Name, device, "backend or device");
    }

    private static T Find<T>(IReadOnlyList<T> items, Func<T, string> nameOf, string name, string what) =>
        items.FirstOrDefault(i => string.Equals(nameOf(i), name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ConfigurationException($"unknown {what} '{name}'; known: {Names(items, nameOf)} (run 'engine plugins' to see what each plugin registers)");

    private static string Names<T>(IReadOnlyList<T> items, Func<T, string> nameOf) =>
        items.Count == 0 ? "none" : string.Join(", ", items.Select(nameOf).Order(StringComparer.Ordinal));
}
