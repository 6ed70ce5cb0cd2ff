using Engine.Backend.OpenBlas;
using Engine.Datasets.Idx;
using Engine.Layers.Standard;
using Engine.Models.Classic;
using Microsoft.Extensions.DependencyInjection;

namespace Engine.Core.Tests;

/// <summary>The core with the standard plugins registered directly, and an OpenBLAS backend.</summary>
internal static class TestEngine
{
    public static ComponentCatalog Catalog { get; } = BuildCatalog();

    public static IBackend CreateBackend() => new OpenBlasBackendProvider().Create();

    private static ComponentCatalog BuildCatalog()
    {
        var services = new ServiceCollection();
        services.AddEngineCore();
        new OpenBlasPlugin().Register(services);
        new StandardLayersPlugin().Register(services);
        new ClassicModelsPlugin().Register(services);
        new IdxDatasetsPlugin().Register(services);
        return services.BuildServiceProvider().GetRequiredService<ComponentCatalog>();
    }

    /// <summary>A float64 tensor holding <paramref name="values"/>.</summary>
    public static Tensor Upload(IBackend backend, Shape shape, double[] values)
    {
        Tensor t = backend.Allocate(shape, DataType.Float64);
        backend.CopyFromHost<double>(values, t);
        return t;
    }

    public static double[] Download(Tensor t)
    {
        var values = new double[t.ElementCount];
        t.Backend.CopyToHost<double>(t, values);
        return values;
    }

    public static double[] RandomValues(int n, ulong seed, double scale = 1) =>
        Enumerable.Range(0, n).Select(i => scale * CounterRandom.Normal(seed, (ulong)i)).ToArray();
}
