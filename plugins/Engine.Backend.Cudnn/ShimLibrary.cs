using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Loads the native shim from beside this assembly, checks its C API version, and opens the GPU
/// once per process (CUDA contexts, streams and handles are per process, not per backend). Every
/// step that can fail on a machine without a GPU (the shim itself, the driver, the runtime, cuBLAS,
/// cuDNN, NVRTC, a device) is reported in one line naming the library and the loader's error.
/// </summary>
internal static unsafe class ShimLibrary
{
    /// <summary>Extra folders (':'-separated) searched first for the CUDA libraries.</summary>
    internal const string SearchPathVariable = "ENGINE_CUDA_PATH";

    /// <summary>tf32 (the default where the GPU has it), strict (plain float32), bf16 or fp16 (mixed precision); set by the CLI's --precision.</summary>
    internal const string PrecisionVariable = "ENGINE_PRECISION";

    /// <summary>
    /// A testing aid: the full path of a shim library to load instead of the one beside this assembly
    /// (e.g. the host emulator, build/native/cudnn_shim/emulator/libengine_cudnn_shim_emu.so).
    /// </summary>
    internal const string ShimOverrideVariable = "ENGINE_CUDNN_SHIM";

    /// <summary>Folder for NVRTC-compiled kernels; default $XDG_CACHE_HOME/engine/cuda-kernels.</summary>
    internal const string KernelCacheVariable = "ENGINE_KERNEL_CACHE";

    private static readonly Lock Gate = new();
    private static bool _attempted;
    private static bool _available;
    private static string _detail = "";

    static ShimLibrary()
    {
        NativeLibrary.SetDllImportResolver(typeof(ShimLibrary).Assembly, Resolve);
    }

    /// <summary>Opens the GPU if that has not been tried yet. Never throws.</summary>
    public static bool TryInitialize(out string detail)
    {
        lock (Gate)
        {
            if (!_attempted)
            {
                _attempted = true;
                try
                {
                    _detail = Initialize();
                    _available = true;
                }
                catch (Exception e)
                {
                    _detail = e is BackendException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                }
            }
            detail = _detail;
            return _available;
        }
    }

    /// <summary>The float32 math ENGINE_PRECISION asks for (TF32 when unset).</summary>
    public static ShimPrecision RequestedPrecision()
    {
        string? precision = Environment.GetEnvironmentVariable(PrecisionVariable);
        return precision switch
        {
            null or "" or "tf32" => ShimPrecision.Tf32,
            "strict" => ShimPrecision.Strict,
            "bf16" => ShimPrecision.Bf16,
            "fp16" => ShimPrecision.Fp16,
            _ => throw new BackendException($"{PrecisionVariable}={precision}: give tf32, strict, bf16 or fp16"),
        };
    }

    /// <summary>
    /// Loads the shim and the CUDA libraries without opening a device (what a launcher that makes
    /// the NCCL group id for its ranks needs); a <see cref="BackendException"/> ("no GPU: …") as the
    /// backend's probe gives when they are missing.
    /// </summary>
    public static void LoadLibraries()
    {
        lock (Gate)
        {
            LoadShimAndLibraries();
        }
    }

    private static string Initialize()
    {
        string libraries = LoadShimAndLibraries();
        byte* buffer = stackalloc byte[4096];
        string cache = KernelCacheFolder();
        Directory.CreateDirectory(cache);
        Check(ShimNative.ecud_init(DeviceChoice.ForThisProcess(), RequestedPrecision() == ShimPrecision.Strict ? 1 : 0, cache), "opening the GPU");
        Check(ShimNative.ecud_describe(buffer, 4096), "describing the GPU");
        return $"{Marshal.PtrToStringUTF8((nint)buffer)}; {libraries}";
    }

    // The shim file and its version, then ecud_load (which loads once): the libraries it found.
    private static string LoadShimAndLibraries()
    {
        string file = ShimPath(typeof(ShimLibrary).Assembly, out bool overridden);
        if (!File.Exists(file))
        {
            throw new BackendException(overridden
                ? $"{ShimOverrideVariable}={file}: no such file"
                : $"the cuDNN shim {file} is missing (build native/ with build.sh, which stages it beside the plugin)");
        }
        int version = ShimNative.ecud_version();
        if (version != ShimNative.ApiVersion)
        {
            throw new BackendException($"the cuDNN shim {file} has C API version {version}; this plugin needs {ShimNative.ApiVersion}");
        }
        byte* buffer = stackalloc byte[4096];
        int status = ShimNative.ecud_load(Environment.GetEnvironmentVariable(SearchPathVariable), buffer, 4096);
        string libraries = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
        if (status != 0)
        {
            throw new BackendException($"no GPU: {libraries}");
        }
        return libraries;
    }

    /// <summary>Throws <see cref="BackendException"/> with the shim's message when status is not 0.</summary>
    public static void Check(int status, string what)
    {
        if (status != 0)
        {
            throw new BackendException($"cudnn: {what}: {LastError()}");
        }
    }

    /// <summary>The calling thread's last shim error.</summary>
    public static string LastError() => Marshal.PtrToStringUTF8(ShimNative.ecud_last_error()) ?? "(no message)";

    private static string KernelCacheFolder()
    {
        string? explicitFolder = Environment.GetEnvironmentVariable(KernelCacheVariable);
        if (!string.IsNullOrEmpty(explicitFolder))
        {
            return explicitFolder;
        }
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "engine", "cuda-kernels");
    }

    private static string NativeFileName =>
        OperatingSystem.IsWindows() ? "engine_cudnn_shim.dll" : OperatingSystem.IsMacOS() ? "libengine_cudnn_shim.dylib" : "libengine_cudnn_shim.so";

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != ShimNative.Library)
        {
            return 0;
        }
        return NativeLibrary.TryLoad(ShimPath(assembly, out _), out nint handle) ? handle : 0;
    }

    /// <summary>The shim to load: <see cref="ShimOverrideVariable"/> when set, else the one beside the assembly.</summary>
    private static string ShimPath(Assembly assembly, out bool overridden)
    {
        string? explicitPath = Environment.GetEnvironmentVariable(ShimOverrideVariable);
        overridden = !string.IsNullOrEmpty(explicitPath);
        if (overridden)
        {
            return Path.GetFullPath(explicitPath!);
        }
        string folder = Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory;
        return Path.Combine(folder, NativeFileName);
    }

    /// <summary>Names of the embedded kernel modules (for tests).</summary>
    internal static string KernelModules()
    {
        _ = TryInitialize(out _);
        return Marshal.PtrToStringUTF8(ShimNative.ecud_kernel_modules()) ?? "";
    }

    internal static string Utf8(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes[..Math.Max(0, bytes.IndexOf((byte)0))]);
}
