using Microsoft.Extensions.DependencyInjection;

namespace Engine.Layers.Standard;

/// <summary>Registers the activation layer kinds.</summary>
internal static class ActivationRegistrations
{
    public static void Register(IServiceCollection services)
    {
    }
}
