using System.Runtime.InteropServices;

namespace Engine.Backend.Cudnn;

/// <summary>
/// Every import of the native shim (native/cudnn_shim/include/ecud.h), in one place. Each returns an
/// ecud status (0 = success); <see cref="ecud_last_error"/> explains a failure on the calling thread.
/// The library is found next to this assembly by <see cref="ShimLibrary"/>'s import resolver.
/// </summary>
internal static unsafe partial class ShimNative
{
    internal const string Library = "engine_cudnn_shim";

    /// <summary>The C API version this plugin is written against (ECUD_API_VERSION).</summary>
    internal const int ApiVersion = 4;

    [LibraryImport(Library)]
    internal static partial int ecud_version();

    [LibraryImport(Library)]
    internal static partial nint ecud_last_error();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ecud_load(string? searchPath, byte* description, int capacity);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ecud_init(int device, int strict, string? kernelCache);

    [LibraryImport(Library)]
    internal static partial int ecud_set_strict(int strict);

    [LibraryImport(Library)]
    internal static partial int ecud_set_precision(int precision);

    [LibraryImport(Library)]
    internal static partial int ecud_describe(byte* description, int capacity);

    [LibraryImport(Library)]
    internal static partial int ecud_malloc(nint* pointer, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_free(nint pointer);

    [LibraryImport(Library)]
    internal static partial int ecud_memory_info(nuint* freeBytes, nuint* totalBytes);

    [LibraryImport(Library)]
    internal static partial int ecud_copy_to_device(nint destination, void* source, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_copy_to_host(void* destination, nint source, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_copy_on_device(nint destination, nint source, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_memset(nint destination, int value, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_synchronize();

    [LibraryImport(Library)]
    internal static partial int ecud_gemm(int dataType, int transposeA, int transposeB, int m, int n, int k, double alpha,
        nint a, nint b, double beta, nint c);

    [LibraryImport(Library)]
    internal static partial int ecud_convolution(int pass, int dataType, int spatialRank, int* xDims, int* wDims, int* yDims,
        int* pad, int* stride, int* dilation, int groups, nint x, nint w, nint y);

    [LibraryImport(Library)]
    internal static partial int ecud_convolution_find(int pass, int dataType, int spatialRank, int* xDims, int* wDims, int* yDims,
        int* pad, int* stride, int* dilation, int groups, nint x, nint w, nint y, nuint workspaceLimit, ConvolutionAlgorithm* results,
        int capacity, int* returned);

    [LibraryImport(Library)]
    internal static partial int ecud_convolution_with(int pass, int dataType, int spatialRank, int* xDims, int* wDims, int* yDims,
        int* pad, int* stride, int* dilation, int groups, nint x, nint w, nint y, int algo, int math, nuint workspace);

    // Version 4: channels-last convolutions and the fused forward epilogue.
    [LibraryImport(Library)]
    internal static partial int ecud_set_layout(int layout);

    [LibraryImport(Library)]
    internal static partial int ecud_convolution_bias_activation(int dataType, int spatialRank, int* xDims, int* wDims, int* yDims,
        int* pad, int* stride, int* dilation, int groups, nint x, nint w, nint bias, nint y, int relu, int algo, int math, nuint workspace);

    [LibraryImport(Library)]
    internal static partial int ecud_host_alloc(nint* pointer, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_host_free(nint pointer);

    [LibraryImport(Library)]
    internal static partial int ecud_upload(int slot, nint destination, nint pinnedSource, nuint bytes);

    [LibraryImport(Library)]
    internal static partial int ecud_upload_wait(int slot);

    [LibraryImport(Library)]
    internal static partial int ecud_upload_release(int slot);

    [LibraryImport(Library)]
    internal static partial int ecud_upload_sync(int slot);

    [LibraryImport(Library)]
    internal static partial int ecud_step_begin();

    [LibraryImport(Library)]
    internal static partial int ecud_step_end();

    [LibraryImport(Library)]
    internal static partial int ecud_step_times(float* busyMs, float* idleMs, int capacity, int* count);

    [LibraryImport(Library)]
    internal static partial int ecud_capturing();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ecud_kernel(string module, string name, nint* function);

    [LibraryImport(Library)]
    internal static partial int ecud_launch(nint function, uint grid, uint block, uint sharedBytes, void** arguments);

    [LibraryImport(Library)]
    internal static partial nint ecud_kernel_modules();

    [LibraryImport(Library)]
    internal static partial int ecud_capture_begin();

    [LibraryImport(Library)]
    internal static partial int ecud_capture_end(nint* graph);

    [LibraryImport(Library)]
    internal static partial int ecud_graph_launch(nint graph);

    [LibraryImport(Library)]
    internal static partial int ecud_graph_destroy(nint graph);
}
