using System.Diagnostics;
using Engine.Tests;

namespace Engine.Cli.Tests;

/// <summary>
/// Runs the built <c>engine</c> under Open MPI's <c>mpirun</c>: <c>--oversubscribe</c> (more ranks than
/// this machine's cores) and, as root (CI), <c>--allow-run-as-root</c>; or under MPICH's Hydra
/// <c>mpiexec</c> (<see cref="Mpich"/>), which needs neither. Each rank runs one OpenBLAS thread.
/// </summary>
internal static class MpiRun
{
    /// <summary>MPICH's launcher as Debian names it beside Open MPI's (package mpich).</summary>
    public const string Mpich = "/usr/bin/mpiexec.mpich";

    /// <summary>
    /// Open MPI's launcher: Debian's own name for it where present (with MPICH installed too,
    /// /usr/bin/mpirun is whichever the alternatives system picked), else mpirun.
    /// </summary>
    public static readonly string Launcher = File.Exists("/usr/bin/mpirun.openmpi") ? "/usr/bin/mpirun.openmpi" : "/usr/bin/mpirun";

    public static string Engine => Path.Combine(RepoPaths.Root, "artifacts", "engine", "engine");

    public static bool Available => File.Exists(Launcher);

    public static bool MpichAvailable => File.Exists(Mpich);

    /// <summary>One program on <paramref name="ranks"/> ranks.</summary>
    public static (int ExitCode, string Output, string Error) Run(int ranks, params string[] args) =>
        RunApps([(ranks, args)]);

    /// <summary>One program on <paramref name="ranks"/> ranks under <paramref name="launcher"/>, with extra environment variables.</summary>
    public static (int ExitCode, string Output, string Error) RunWith(string launcher, int ranks, string[] args, params (string Name, string Value)[] environment) =>
        RunApps([(ranks, args)], launcher: launcher, environment: environment);

    /// <summary>
    /// Several programs in one job (mpirun's "-np 1 A : -np 1 B"), for ranks started with different
    /// arguments; killed after <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static (int ExitCode, string Output, string Error) RunApps(IReadOnlyList<(int Ranks, string[] Args)> apps, int timeoutSeconds = 300,
        string? launcher = null, IReadOnlyList<(string Name, string Value)>? environment = null, string? workingDirectory = null)
    {
        using var process = Process.Start(StartInfo(apps, launcher, environment, workingDirectory))!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{launcher ?? Launcher} did not end within {timeoutSeconds} s: {error.Result}");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The mpirun command line of <paramref name="apps"/>, its output and error redirected.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyList<(int Ranks, string[] Args)> apps, string? launcher = null, IReadOnlyList<(string Name, string Value)>? environment = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(launcher ?? Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        if (start.FileName != Mpich)
        {
            start.ArgumentList.Add("--oversubscribe");
            if (Environment.UserName == "root")
            {
                start.ArgumentList.Add("--allow-run-as-root");
            }
        }
        start.Environment["OPENBLAS_NUM_THREADS"] = "1";
        foreach ((string name, string value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
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

    /// <summary>Skipped, saying so, where MPICH's launcher is not installed (.ci/run installs it).</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MpichFactAttribute : Xunit.FactAttribute
    {
        public MpichFactAttribute()
        {
            if (!MpichAvailable)
            {
                Skip = $"{Mpich} is absent: install MPICH (apt-get install mpich) to run the MPICH distributed-training tests";
            }
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
