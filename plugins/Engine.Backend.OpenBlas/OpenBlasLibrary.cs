using System.Reflection;
using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// Finds and loads the OpenBLAS shared library at run time. The plugin ships no native code: it
/// uses the system's OpenBLAS, or the file named by <see cref="EnvironmentVariable"/>. The first
/// attempt is remembered for the life of the process (the import resolver is process-global), so
/// probing twice costs nothing and always gives the same answer.
/// </summary>
internal static class OpenBlasLibrary
{
    /// <summary>Environment variable holding an explicit path (or name) of the library, tried first.</summary>
    internal const string EnvironmentVariable = "ENGINE_OPENBLAS_LIBRARY";

    private static readonly Lock Gate = new();
    private static bool _attempted;
    private static nint _handle;
    private static string _detail = "";

    /// <summary>
    /// Loads OpenBLAS if that has not been tried yet. Never throws. On success
    /// <paramref name="detail"/> reads "OpenBLAS &lt;config&gt;, core &lt;name&gt;, &lt;n&gt; threads"; on
    /// failure it is one paragraph naming every file tried, the loader's error for each, and how to
    /// install the library.
    /// </summary>
    public static bool TryLoad(out string detail)
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                try
                {
                    Load();
                }
                catch (Exception ex)
                {
                    Volatile.Write(ref _handle, 0);
                    _detail = $"could not load OpenBLAS: {ex.GetType().Name}: {OneLine(ex.Message)}";
                }
            }
            detail = _detail;
            return _handle != 0;
        }
    }

    /// <summary>
    /// Threads the backend computes on (process-wide): the width of its <see cref="WorkerPool"/>.
    /// OpenBLAS itself stays single-threaded; the library must be loaded.
    /// </summary>
    internal static int ThreadCount
    {
        get
        {
            EnsureLoaded();
            return WorkerPool.Width;
        }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            EnsureLoaded();
            WorkerPool.Width = value;
        }
    }

    /// <summary>Name of the kernel set OpenBLAS picked for this CPU (e.g. Haswell). The library must be loaded.</summary>
    internal static string CoreName
    {
        get
        {
            EnsureLoaded();
            return ReadCoreName();
        }
    }

    /// <summary>The file names tried, in order, on this operating system.</summary>
    internal static IReadOnlyList<string> CandidateNames()
    {
        var names = new List<string>();
        string? explicitPath = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            names.Add(explicitPath.Trim());
        }
        if (OperatingSystem.IsWindows())
        {
            names.Add("libopenblas.dll");
            names.Add("openblas.dll");
        }
        else if (OperatingSystem.IsMacOS())
        {
            names.Add("libopenblas.dylib");
        }
        else
        {
            names.Add("libopenblas.so.0");
            names.Add("libopenblas.so");
        }
        return names;
    }

    /// <summary>
    /// Tries <paramref name="names"/> in order with <paramref name="load"/> (which throws on failure,
    /// like <see cref="NativeLibrary.Load(string)"/>) and keeps the first library that exports every
    /// symbol the plugin needs. Never throws. <paramref name="failures"/> holds one "name (error)"
    /// entry per file that did not do, in order; <see cref="FailureMessage"/> turns them into the text
    /// users see.
    /// </summary>
    internal static bool TryLoadFirst(
        IReadOnlyList<string> names, Func<string, nint> load, out nint handle, out string loadedName, out List<string> failures)
    {
        failures = new List<string>(names.Count);
        foreach (string name in names)
        {
            nint candidate;
            try
            {
                candidate = load(name);
            }
            catch (Exception ex)
            {
                failures.Add($"{name} ({LoaderError(ex)})");
                continue;
            }
            string? missing = OpenBlasNative.RequiredSymbols.FirstOrDefault(symbol => !NativeLibrary.TryGetExport(candidate, symbol, out _));
            if (missing is null)
            {
                handle = candidate;
                loadedName = name;
                return true;
            }
            NativeLibrary.Free(candidate);
            failures.Add($"{name} (it loaded but exports no {missing}, so it is not OpenBLAS with CBLAS)");
        }
        handle = 0;
        loadedName = "";
        return false;
    }

    /// <summary>The one-paragraph failure text for a list of "name (error)" attempts.</summary>
    internal static string FailureMessage(IReadOnlyList<string> attempts)
    {
        string tried = attempts.Count == 0 ? "no library names" : string.Join(", ", attempts);
        return $"could not load OpenBLAS: tried {tried}; {InstallHint()}, or set {EnvironmentVariable} to the full path of an OpenBLAS library.";
    }

    private static string InstallHint()
    {
        if (OperatingSystem.IsWindows())
        {
            return "on Windows download an OpenBLAS release (github.com/OpenMathLib/OpenBLAS/releases) and put libopenblas.dll on PATH";
        }
        if (OperatingSystem.IsMacOS())
        {
            return "on macOS install it with: brew install openblas (it is keg-only: point the variable below at $(brew --prefix openblas)/lib/libopenblas.dylib)";
        }
        return "on Debian/Ubuntu install it with: sudo apt-get install libopenblas-dev";
    }

    /// <summary>
    /// The useful part of a loader exception: .NET puts generic advice on the first line and the
    /// operating system's own error (dlerror / LoadLibrary) on the lines after it.
    /// </summary>
    internal static string LoaderError(Exception ex)
    {
        string[] lines = ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string text = lines.Length > 1 ? string.Join("; ", lines.Skip(1)) : ex.Message;
        return OneLine(text);
    }

    private static string OneLine(string text) =>
        string.Join(' ', text.Split((char[])['\r', '\n', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));

    private static void EnsureLoaded()
    {
        if (!TryLoad(out string detail))
        {
            throw new BackendException(detail);
        }
    }

    /// <summary>AppContext key under which the first load in this process records OpenBLAS's thread count.</summary>
    private const string ThreadCountKey = "Engine.Backend.OpenBlas.ThreadCount";

    /// <summary>
    /// The thread count OpenBLAS chose when this process first loaded it. OpenBLAS is loaded once per
    /// process, but this plugin can be loaded again in another load context (a host built twice in one
    /// process, as the CLI tests and host apps do); such a load finds OpenBLAS already set to one thread by
    /// the first, and without this record every later host would compute on one thread. AppContext data is
    /// process-wide (it lives in the core library every load context shares). Two first loads racing in
    /// two load contexts at once are not guarded against: the CLI and hosts build one at a time.
    /// </summary>
    private static int ProcessThreadCount()
    {
        if (AppContext.GetData(ThreadCountKey) is int first)
        {
            return first;
        }
        int threads = Math.Max(1, OpenBlasNative.GetNumThreads());
        AppContext.SetData(ThreadCountKey, threads);
        return threads;
    }

    private static unsafe void Load()
    {
        if (!TryLoadFirst(CandidateNames(), NativeLibrary.Load, out nint handle, out string loadedName, out List<string> failures))
        {
            _detail = FailureMessage(failures);
            return;
        }
        Volatile.Write(ref _handle, handle);
        NativeLibrary.SetDllImportResolver(typeof(OpenBlasLibrary).Assembly, Resolve);

        string config = Marshal.PtrToStringUTF8((nint)OpenBlasNative.GetConfig())?.Trim() ?? "";
        if (config.StartsWith("OpenBLAS ", StringComparison.OrdinalIgnoreCase))
        {
            config = config["OpenBLAS ".Length..];
        }
        string core = ReadCoreName();
        // One thread pool, not two: OpenBLAS's own threads would wake, spin and yield on every small
        // GEMM (most of a CNN's calls), and would compete with the batch-level parallelism of the
        // backend's pool. The pool takes over the thread count OpenBLAS chose (OPENBLAS_NUM_THREADS,
        // else the core count) and OpenBLAS runs every call on the thread that makes it.
        int threads = ProcessThreadCount();
        OpenBlasNative.SetNumThreads(1);
        WorkerPool.Width = threads;
        _detail = $"OpenBLAS {config}, core {core}, {threads} {(threads == 1 ? "thread" : "threads")}";
        if (failures.Count > 0 && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } explicitPath)
        {
            // The user asked for a specific file and did not get it: say so rather than hide it.
            _detail += $" (note: {EnvironmentVariable}={explicitPath.Trim()} was not used: {failures[0]}; loaded {loadedName} instead)";
        }
    }

    private static unsafe string ReadCoreName() =>
        Marshal.PtrToStringUTF8((nint)OpenBlasNative.GetCoreName())?.Trim() ?? "unknown";

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == OpenBlasNative.LibraryName ? Volatile.Read(ref _handle) : 0;
}
