using System.Diagnostics;
using System.Globalization;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// PyTorch's figures for the <c>bench layers</c> cases (<c>--compare-torch</c>): runs
/// <c>benchmarks/layers_torch.py --tsv</c> with Debian's python3-torch in a process of its own,
/// after the engine's cases, at the engine's thread count, and reads one
/// <c>name, forward ms, backward ms</c> line per case.
/// </summary>
internal static class TorchLayerReference
{
    private const string ScriptName = "layers_torch.py";
    private const string SystemPython = "/usr/bin/python3";

    /// <summary>Forward and backward milliseconds by case name.</summary>
    public static Dictionary<string, (double Forward, double Backward)> Run(string? script, string? only, int repeat, int threads, bool cpuTime = false)
    {
        string path = script ?? FindScript()
            ?? throw new ConfigurationException($"--compare-torch: benchmarks/{ScriptName} not found above the working folder or the engine's folder (give it with --torch-script)");
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"--torch-script: file not found: {path}");
        }
        // Debian's python3-torch installs for the system interpreter; another python3 may come first on PATH.
        string python = File.Exists(SystemPython) ? SystemPython : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { path, "--tsv", "--repeat", repeat.ToString(CultureInfo.InvariantCulture), "--threads", threads.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }
        if (cpuTime)
        {
            start.ArgumentList.Add("--cpu-time");
        }
        if (only is not null)
        {
            start.ArgumentList.Add("--only");
            start.ArgumentList.Add(only);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new ConfigurationException("--compare-torch: python3 could not be started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ConfigurationException($"--compare-torch: python3 could not be started ({e.Message}); install python3-torch");
        }
        using (process)
        {
            Task<string> errors = process.StandardError.ReadToEndAsync();
            string text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                string last = errors.Result.TrimEnd().Split('\n').LastOrDefault() ?? "";
                throw new ConfigurationException($"--compare-torch: {path} exited with code {process.ExitCode}: {last.Trim()}");
            }
            return Parse(text);
        }
    }

    /// <summary>Reads the script's <c>name TAB forward TAB backward</c> lines.</summary>
    internal static Dictionary<string, (double Forward, double Backward)> Parse(string text)
    {
        var cases = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        foreach (string line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split('\t');
            if (parts.Length == 3
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double forward)
                && double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double backward))
            {
                cases[parts[0]] = (forward, backward);
            }
        }
        return cases;
    }

    // The repository's benchmarks folder, looked for above the working folder and above the engine binary.
    private static string? FindScript()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "benchmarks", ScriptName);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
