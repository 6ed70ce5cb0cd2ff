using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the convolution layer kinds.</summary>
internal static class ConvolutionRegistrations
{
    public static void Register(IServiceCollection services)
    {
    }
}
