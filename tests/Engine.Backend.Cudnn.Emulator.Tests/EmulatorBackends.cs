using System.Reflection;
using Engine.Conformance;

namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>cudnn backends on the emulator with environment settings, and a look at the plugin's internals.</summary>
internal static class EmulatorBackends
{
    /// <summary>A cudnn backend created with the variables set (it reads them when created), then restored.</summary>
    public static IBackend Create(params (string Name, string Value)[] variables)
    {
        string?[] saved = variables.Select(v => Environment.GetEnvironmentVariable(v.Name)).ToArray();
        try
        {
            foreach (var (name, value) in variables)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
            return Emulator.EngineHost.CreateBackend("cudnn");
        }
        finally
        {
            for (int i = 0; i < variables.Length; i++)
            {
                Environment.SetEnvironmentVariable(variables[i].Name, saved[i]);
            }
        }
    }

    /// <summary>A property of the plugin's backend: the plugin is loaded by the host, not referenced, so its internals are read by reflection.</summary>
    public static T Member<T>(object target, string name) =>
        (T)target.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(target)!;

    /// <summary>Runs the kit's cases whose names contain <paramref name="filter"/> on <paramref name="backend"/> against the CPU reference; fails naming every failed case.</summary>
    public static ConformanceSummary PassKit(IBackend backend, string filter)
    {
        using IBackend reference = Emulator.EngineHost.CreateBackend("cpu");
        var results = new List<CaseResult>();
        var options = new ConformanceOptions { Reference = reference, Catalog = Emulator.EngineHost.Catalog, Filter = filter };
        ConformanceSummary summary = ConformanceKit.Run(backend, options, results.Add);
        var failures = results.Where(r => r.Status == CaseStatus.Fail).Select(r => r.ToString()).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n{string.Join('\n', failures)}");
        return summary;
    }
}
