using Microsoft.Extensions.DependencyInjection;

namespace Engine.Models.Classic;

/// <summary>Registers the reference architectures.</summary>
public sealed class ClassicModelsPlugin : IEnginePlugin
{
    /// <summary>
    /// The name of the last (classifying) dense layer of every model here except <c>mlp</c>, whose
    /// layers keep their default names (dense1, dense2) for existing runs: transfer learning
    /// replaces the head by this name.
    /// </summary>
    public const string HeadName = "classifier";

    /// <inheritdoc/>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton(MlpModel.Definition);
        services.AddSingleton(LeNet5Model.Definition);
        services.AddSingleton(VggCifarModel.Definition);
        foreach (IModelDefinition model in Architectures())
        {
            services.AddSingleton(model);
        }
    }

    /// <summary>
    /// The architectures of CNN history at their standard configurations (ImageNet models: 1000 classes,
    /// 3×224×224; CIFAR models: 10 classes, 3×32×32). Each is built here once per enumeration.
    /// </summary>
    public static IEnumerable<IModelDefinition> Architectures()
    {
        yield return LeNet1998Model.Create();
        yield return AlexNetModel.Torchvision();
        yield return AlexNetModel.Paper();
        foreach (IModelDefinition vgg in VggModel.All())
        {
            yield return vgg;
        }
        foreach (int depth in ResNetModel.Registered)
        {
            yield return ResNetModel.Create(depth);
        }
        foreach (int depth in CifarResNetModel.Registered)
        {
            yield return CifarResNetModel.Create(depth);
        }
        yield return CifarResNetModel.Create(20, projection: true);
        yield return GoogLeNetModel.Create();
        yield return GoogLeNetModel.Create(batchNorm: true);
        yield return GoogLeNetModel.Create(auxiliary: true);
    }
}
