namespace Engine.Backend.Cudnn.Kernels;

/// <summary>
/// Launches the shim's NVRTC kernels (native/cudnn_shim/kernels/MODULE.cu) by name. A kernel written
/// for several element types is exported as NAME_f32, NAME_f64 (and NAME_i32); <see cref="Launch"/>
/// picks the one for the tensor type. Function handles are looked up once and cached; launches are
/// queued on the backend's stream and return at once.
/// </summary>
internal sealed unsafe class KernelLauncher
{
    /// <summary>Threads per block of <see cref="Launch"/>.</summary>
    public const int BlockSize = 256;

    /// <summary>Most blocks of one grid-stride launch (kernels loop over the rest).</summary>
    public const int MaxBlocks = 1 << 16;

    private readonly Dictionary<(string Module, string Kernel, DataType? Type), nint> _functions = [];
    private readonly Lock _gate = new();

    /// <summary>
    /// Runs <paramref name="kernel"/> (typed by <paramref name="type"/>) over <paramref name="workItems"/>
    /// items, one thread each, with a grid-stride loop (FOR_EACH in common.cuh) beyond <see cref="MaxBlocks"/>.
    /// </summary>
    public void Launch(string module, string kernel, DataType? type, long workItems, params ReadOnlySpan<KernelArg> args)
    {
        if (workItems <= 0)
        {
            return;
        }
        long blocks = Math.Min((workItems + BlockSize - 1) / BlockSize, MaxBlocks);
        LaunchBlocks(module, kernel, type, (uint)blocks, BlockSize, 0, args);
    }

    /// <summary>Runs a kernel with an explicit grid (blocks × threads) and dynamic shared memory.</summary>
    public void LaunchBlocks(string module, string kernel, DataType? type, uint blocks, uint threads, uint sharedBytes, params ReadOnlySpan<KernelArg> args)
    {
        nint function = Function(module, kernel, type);
        ulong* slots = stackalloc ulong[Math.Max(args.Length, 1)];
        // One entry more than the arguments, null: CUDA reads only as many as the kernel declares,
        // and the host emulator (ENGINE_CUDNN_SHIM) uses it to check the argument count.
        void** pointers = stackalloc void*[args.Length + 1];
        for (int i = 0; i < args.Length; i++)
        {
            slots[i] = args[i].Bits;
            pointers[i] = &slots[i];
        }
        pointers[args.Length] = null;
        int status = ShimNative.ecud_launch(function, blocks, threads, sharedBytes, pointers);
        if (status != 0)
        {
            ShimLibrary.Check(status, $"launching {module}.{kernel}");
        }
    }

    /// <summary>Compiles, loads and caches a kernel now (before a CUDA graph capture, which may not).</summary>
    public void Resolve(string module, string kernel, DataType? type) => Function(module, kernel, type);

    private nint Function(string module, string kernel, DataType? type)
    {
        lock (_gate)
        {
            if (_functions.TryGetValue((module, kernel, type), out nint cached))
            {
                return cached;
            }
            string name = type switch
            {
                null => kernel,
                DataType.Float32 => kernel + "_f32",
                DataType.Float64 => kernel + "_f64",
                DataType.Int32 => kernel + "_i32",
                _ => throw new BackendException($"cudnn: no kernel {kernel} for data type {type}"),
            };
            nint function;
            ShimLibrary.Check(ShimNative.ecud_kernel(module, name, &function), $"loading kernel {module}.{name}");
            _functions[(module, kernel, type)] = function;
            return function;
        }
    }
}
