using System.Diagnostics;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Runs the built <c>engine</c> under Open MPI's <c>mpirun</c>: <c>--oversubscribe</c> (more ranks than
/// this machine's cores) and, as root (CI), <c>--allow-run-as-root</c>. Each rank runs one OpenBLAS thread.
/// </summary>
internal static class MpiRun
{
    public const string Launcher = "/usr/bin/mpirun";

    public static string Engine => Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine");

    public static bool Available => File.Exists(Launcher);

    /// <summary>One program on <paramref name="ranks"/> ranks.</summary>
    public static (int ExitCode, string Output, string Error) Run(int ranks, params string[] args) =>
        RunApps([(ranks, args)]);

    /// <summary>
    /// Several programs in one job (mpirun's "-np 1 A : -np 1 B"), for ranks started with different
    /// arguments; killed after <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static (int ExitCode, string Output, string Error) RunApps(IReadOnlyList<(int Ranks, string[] Args)> apps, int timeoutSeconds = 300)
    {
        using var process = Process.Start(StartInfo(apps))!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not end within {timeoutSeconds} s: {error.Result}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The mpirun command line of <paramref name="apps"/>, its output and error redirected.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<(int Ranks, string[] Args)> apps)
    {
        var start = new ProcessStartInfo(Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add("--oversubscribe");
        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("--allow-run-as-root");
        }
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        for (int a = 0; a < apps.Count; a++)
        {
            if (a > 0)
            {
                start.ArgumentList.Add(":");
            }
            start.ArgumentList.Add("-np");
            start.ArgumentList.Add(apps[a].Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(Engine);
            foreach (string arg in apps[a].Args)
            {
                start.ArgumentList.Add(arg);
            }
        }
        return start;
    }

    /// <summary>The ids of the processes whose parent is <paramref name="parent"/> (Linux: /proc).</summary>
    public static IReadOnlyList<int> Children(int parent) =>
        [.. Directory.GetDirectories("/proc")
            .Select(Path.GetFileName)
            .Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!, System.Globalization.CultureInfo.InvariantCulture))
            .Where(pid => ParentOf(pid) == parent)];

    private static int ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (name) state ppid …"; the name may hold spaces, so split after ')'.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1; // ended meanwhile
        }
    }

    /// <summary>Skipped, saying so, where Open MPI's launcher is not installed (.ci/run and build.sh install it).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class FactAttribute : Xunit.FactAttribute
    {
        public FactAttribute()
        {
            if (!Available)
            {
                Skip = $"{Launcher} is absent: install Open MPI (apt-get install openmpi-bin libopenmpi-dev) to run the distributed-training tests";
            }
        }
    }
}
