using Engine.Host;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>The shim's host emulator and the staged plugins loaded with ENGINE_CUDNN_SHIM pointing at it.</summary>
internal static class Emulator
{
    /// <summary>Where build.sh (CMake, native/) puts the emulator.</summary>
    public static string LibraryPath { get; } =
        Path.Combine(RepoPaths.Root, "build", "native", "cudnn_shim", "emulator", "libengine_cudnn_shim_emu.so");

    private static readonly Lazy<EngineHost> Host = new(() =>
    {
        Assert.True(File.Exists(LibraryPath), $"the shim emulator {LibraryPath} is missing: build native/ (./build.sh) with a C++ compiler");
        // Before the cudnn plugin first loads its shim (nothing else in this test process does).
        Environment.SetEnvironmentVariable("ENGINE_CUDNN_SHIM", LibraryPath);
        var options = new EngineHostOptions { UseDefaultFolder = false, UseEnvironmentVariable = false };
        options.PluginFolders.Add(RepoPaths.StagedPlugins);
        return EngineHost.Create(options);
    });

    /// <summary>The host over the staged plugins.</summary>
    public static EngineHost EngineHost => Host.Value;
}
