using Microsoft.Extensions.DependencyInjection;

namespace Engine.Datasets.Idx.Tests;

public sealed class IdxDatasetsPluginTests
{
    [Fact]
    public void RegistersBothLoadersAsSingletons()
    {
        var services = new ServiceCollection();

        new IdxDatasetsPlugin().Register(services);

        Assert.All(services, d =>
        {
            Assert.Equal(typeof(IDatasetLoader), d.ServiceType);
            Assert.Equal(ServiceLifetime.Singleton, d.Lifetime);
        });
        var loaders = services.Select(d => Assert.IsType<IdxDatasetLoader>(d.ImplementationInstance)).ToDictionary(l => l.Name);
        Assert.Equal(["fashion-mnist", "mnist"], loaders.Keys.Order());
        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], loaders["mnist"].ClassNames);
        Assert.Equal(
            ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
            loaders["fashion-mnist"].ClassNames);
    }
}
