using Engine.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Host;

/// <summary>
/// The host API for apps: finds and loads plugins, composes their services, and resolves
/// backends, data sets, models, losses and optimisers by name.
/// <code>
/// using var host = EngineHost.Create();
/// using var backend = host.CreateBackend("cpu");
/// var data = host.LoadDataset("mnist", "data/mnist");
/// using var net = host.BuildNetwork(host.ResolveModel("mlp"), backend, data.Train.SampleShape, seed: 1);
/// using var dense = host.CreateLayer("dense", new() { ["units"] = 3 }, backend, new Shape(4));
/// using var x = backend.FromArray(new float[] { 1, 2, 3, 4 }, new Shape(1, 4));
/// float[] y = dense.Forward(x, training: false).ToArray();
/// </code>
/// </summary>
public sealed class EngineHost : IDisposable
{
    private readonly ServiceProvider _services;

    private EngineHost(ServiceCollection collection, ServiceProvider services, IReadOnlyList<string> folders, IReadOnlyList<PluginRecord> plugins)
    {
        _services = services;
        PluginFolders = folders;
        Plugins = plugins;
        Catalog = services.GetRequiredService<ComponentCatalog>();
        DescribeRegistrations(collection);
    }

    /// <summary>The composed services (plugins' and the core's).</summary>
    public IServiceProvider Services => _services;

    /// <summary>The folders searched, in order.</summary>
    public IReadOnlyList<string> PluginFolders { get; }

    /// <summary>Every plugin file found: loaded, or failed with a reason.</summary>
    public IReadOnlyList<PluginRecord> Plugins { get; }

    /// <summary>Registered components by name.</summary>
    public ComponentCatalog Catalog { get; }

    /// <summary>Discovers and loads plugins and builds the service provider.</summary>
    public static EngineHost Create(EngineHostOptions? options = null)
    {
        options ??= new EngineHostOptions();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddEngineCore();
        options.ConfigureServices?.Invoke(services);

        var folders = PluginDiscovery.ResolveFolders(options);
        var records = new List<PluginRecord>();
        var loadedByName = new Dictionary<string, PluginRecord>(StringComparer.OrdinalIgnoreCase);
        foreach (string file in folders.SelectMany(PluginDiscovery.FindPluginFiles))
        {
            PluginRecord record = PluginLoader.Load(file, services, loadedByName);
            records.Add(record);
            if (record.Status == PluginStatus.Loaded)
            {
                loadedByName[record.Name] = record;
            }
        }
        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            return new EngineHost(services, provider, folders, records);
        }
        catch
        {
            provider.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates the backend for <paramref name="device"/> (<c>cpu</c>, <c>gpu</c> or a backend name).
    /// Throws <see cref="BackendException"/> with the backend's own reason when it cannot run here.
    /// </summary>
    public IBackend CreateBackend(string device = "cpu") => Guard(() =>
    {
        Given(device, nameof(device));
        if (Catalog.Backends.Count == 0)
        {
            // The usual first failure of an application: its plugins were never copied next to it.
            throw new ConfigurationException($"no backend plugin is loaded: the host searched {string.Join(", ", PluginFolders)} and found {Plugins.Count(p => p.Status == PluginStatus.Loaded)} plugin(s); "
                + $"stage the plugins as {PluginDiscovery.DefaultFolder}{Path.DirectorySeparatorChar}<Name>{Path.DirectorySeparatorChar}<Name>.dll, or name their folder in EngineHostOptions.PluginFolders (the command's --plugins) or {PluginDiscovery.EnvironmentVariable}");
        }
        IBackendProvider provider = Catalog.Backend(device);
        BackendProbe probe = provider.Probe();
        if (!probe.IsAvailable)
        {
            throw new BackendException($"backend '{provider.Name}' is unavailable: {probe.Detail}");
        }
        return provider.Create();
    });

    /// <summary>Loads data set <paramref name="name"/> from <paramref name="directory"/>.</summary>
    public DatasetSplits LoadDataset(string name, string directory) =>
        Guard(() => Catalog.Dataset(Given(name, nameof(name))).Load(Given(directory, nameof(directory))));

    /// <summary>A model by registered name, or from a JSON model file when <paramref name="nameOrPath"/> is a file.</summary>
    public ModelSpec ResolveModel(string nameOrPath) => Guard(() =>
        Given(nameOrPath, nameof(nameOrPath)).EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath) || Directory.Exists(nameOrPath)
            ? ModelFile.Load(nameOrPath)
            : Catalog.Model(nameOrPath).Spec);

    /// <summary>Builds and initialises a network on <paramref name="backend"/>.</summary>
    public Network BuildNetwork(ModelSpec spec, IBackend backend, Shape inputShape, ulong seed) => Guard(() =>
    {
        SizeLimits.CheckSample("the input", "shape", inputShape);
        return Network.Build(Given(spec, nameof(spec)), Catalog, Given(backend, nameof(backend)), inputShape, seed);
    });

    /// <summary>
    /// Creates loss <paramref name="name"/>, with arguments such as <c>{"label_smoothing": 0.1}</c> when it takes any.
    /// Its targets are class indices (<c>backend.FromLabels(int[])</c>) or one-hot/soft N×K values.
    /// </summary>
    public ILoss CreateLoss(string name = "softmax-cross-entropy", System.Text.Json.Nodes.JsonObject? arguments = null) =>
        Guard(() => Create(Catalog.Loss(Given(name, nameof(name))), $"loss '{name}'", arguments));

    /// <summary>
    /// Creates a layer of kind <paramref name="kind"/> (<c>dense</c>, <c>conv2d</c>, …) with arguments
    /// such as <c>{"units": 10}</c>, not yet initialised (<see cref="ILayer.Initialize"/> allocates its
    /// parameters); the overload with a backend returns it ready to run. Networks are built from
    /// specs instead (<see cref="ModelBuilder"/>, <see cref="BuildNetwork"/>).
    /// </summary>
    public ILayer CreateLayer(string kind, System.Text.Json.Nodes.JsonObject? arguments = null) =>
        Guard(() => Create(Catalog.Layer(Given(kind, nameof(kind))), $"layer '{kind}'", arguments));

    /// <summary>
    /// Creates a layer of kind <paramref name="kind"/> and initialises it on <paramref name="backend"/>
    /// for per-sample inputs of <paramref name="inputShape"/> (no batch dimension): its parameters are
    /// allocated and drawn from <paramref name="seed"/>, and <see cref="ILayer.Forward"/> takes
    /// N×<paramref name="inputShape"/> batches. The input shape is checked against the layer, and the
    /// layer's operations against the backend, before anything is allocated. The caller disposes it.
    /// </summary>
    public ILayer CreateLayer(string kind, System.Text.Json.Nodes.JsonObject? arguments, IBackend backend, Shape inputShape, ulong seed = 1) => Guard(() =>
    {
        Given(backend, nameof(backend));
        SizeLimits.CheckSample("the input", "shape", inputShape);
        ILayer layer = CreateLayer(kind, arguments);
        try
        {
            layer.InferOutputShape(inputShape);
            RunCapabilities.PlaceLayer(layer.Name, kind, layer.RequiredOps([inputShape], DataType.Float32), backend, fallback: null);
            layer.Initialize(new LayerContext(backend, inputShape, seed));
            return layer;
        }
        catch
        {
            layer.Dispose();
            throw;
        }
    });

    /// <summary>Creates optimiser <paramref name="name"/> with arguments such as <c>{"lr": 0.1}</c>.</summary>
    public IOptimizer CreateOptimizer(string name, System.Text.Json.Nodes.JsonObject? arguments = null) =>
        Guard(() => Create(Catalog.Optimizer(Given(name, nameof(name))), $"optimizer '{name}'", arguments));

    /// <summary>
    /// The host API's boundary: an exception that is not the engine's own (an overflow or a failure
    /// inside a plugin, a .NET argument check) becomes an <see cref="EngineException"/> whose message
    /// is the one line the CLI prints for it (naming the plugin at fault); the original is its inner
    /// exception.
    /// </summary>
    private static T Guard<T>(Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is not EngineException and not OperationCanceledException)
        {
            throw new EngineException(BackendFailure.TryDescribe(e, out string message) ? message : ErrorBoundary.Describe(e), e);
        }
    }

    // A missing argument of the host API, named as the caller wrote it.
    private static T Given<T>(T? value, string parameter) where T : class =>
        value ?? throw new ConfigurationException($"the host API was given no {parameter} (null)");

    private static T Create<T>(IComponentFactory<T> factory, string owner, System.Text.Json.Nodes.JsonObject? arguments)
    {
        var args = new ComponentArguments(owner, factory.Name, arguments);
        T created = factory.Create(args);
        args.ThrowIfUnused();
        return created;
    }

    // Attributes each registered component to the plugin that registered it, for 'engine plugins'.
    // The provider returns an enumerable service in registration order, so the i-th instance of a
    // service type comes from the i-th descriptor of that type, whatever kind of registration it was.
    private void DescribeRegistrations(ServiceCollection collection)
    {
        var owner = new Dictionary<ServiceDescriptor, PluginRecord>(ReferenceEqualityComparer.Instance);
        foreach (PluginRecord record in Plugins)
        {
            foreach (ServiceDescriptor d in record.Descriptors)
            {
                owner[d] = record;
            }
        }
        void Attribute<T>(IReadOnlyList<T> components, string category, Func<T, (string Name, string Description)> describe)
        {
            var descriptors = collection.Where(d => d.ServiceType == typeof(T) && !d.IsKeyedService).ToList();
            var firstBy = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            for (int i = 0; i < components.Count && i < descriptors.Count; i++)
            {
                var (name, description) = describe(components[i]);
                PluginRecord? record = owner.GetValueOrDefault(descriptors[i]);
                record?.Registrations.Add(new PluginRegistration(category, name, description));
                // Lookups take the first of a name, so a second one would silently shadow, or be shadowed
                // by, the other depending on folder order: a plugin could replace 'dense'. Refused instead.
                string by = record?.FilePath ?? "the engine itself";
                if (!firstBy.TryAdd(name, by))
                {
                    throw new ConfigurationException($"{category} '{name}' is registered twice, by {firstBy[name]} and by {by}: names must be unique; remove one of the two plugins");
                }
            }
        }
        Attribute(Catalog.Backends, "backend", b => (b.Name, $"{b.Device.ToString().ToLowerInvariant()} backend"));
        Attribute(Catalog.Layers, "layer", l => (l.Name, l.Description));
        Attribute(Catalog.Losses, "loss", l => (l.Name, l.Description));
        Attribute(Catalog.Optimizers, "optimizer", o => (o.Name, o.Description));
        Attribute(Catalog.Datasets, "dataset", d => (d.Name, d.Description));
        Attribute(Catalog.Models, "model", m => (m.Name, m.Description));
        foreach (PluginRecord record in Plugins)
        {
            var known = new HashSet<Type> { typeof(IBackendProvider), typeof(ILayerFactory), typeof(ILossFactory), typeof(IOptimizerFactory), typeof(IDatasetLoader), typeof(IModelDefinition) };
            foreach (ServiceDescriptor d in record.Descriptors.Where(d => !known.Contains(d.ServiceType)))
            {
                record.Registrations.Add(new PluginRegistration("service", d.ServiceType.Name, d.ImplementationType?.Name ?? "instance or factory"));
            }
        }
    }

    /// <summary>Disposes the service provider (and singletons it created).</summary>
    public void Dispose() => _services.Dispose();
}
