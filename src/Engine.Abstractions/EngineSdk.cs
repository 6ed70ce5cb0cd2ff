namespace Engine;

/// <summary>
/// The version of the plugin SDK. A plugin records the SDK version it was compiled against in its
/// assembly reference to <c>Engine.Abstractions</c>; the host loads it only when the major versions
/// are equal and the plugin's minor version is not newer than the host's.
/// </summary>
public static class EngineSdk
{
    /// <summary>Incremented on a breaking change to any SDK type.</summary>
    public const int Major = 2;

    /// <summary>Incremented when the SDK gains members without breaking existing plugins.</summary>
    public const int Minor = 0;

    /// <summary>The SDK version as a <see cref="System.Version"/> (major.minor).</summary>
    public static Version Version { get; } = new(Major, Minor);

    /// <summary>
    /// Whether a plugin compiled against <paramref name="pluginSdk"/> can run on this SDK.
    /// </summary>
    public static bool IsCompatible(Version pluginSdk) =>
        pluginSdk.Major == Major && pluginSdk.Minor <= Minor;
}
