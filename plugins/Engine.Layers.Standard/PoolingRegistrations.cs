using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the pooling layer kinds.</summary>
internal static class PoolingRegistrations
{
    public static void Register(IServiceCollection services)
    {
    }
}
