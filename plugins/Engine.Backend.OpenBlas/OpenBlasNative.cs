using System.Runtime.InteropServices;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The native entry points this plugin uses, and the only place that declares any. The library
/// name is a logical one: <see cref="OpenBlasLibrary"/> installs a resolver for this assembly that
/// maps it to whichever OpenBLAS file it managed to load. Nothing here may be called before
/// <see cref="OpenBlasLibrary.TryLoad"/> has succeeded. Integers are <c>blasint</c>, which is 32 bits
/// in the usual (LP64) builds that Linux distributions ship.
/// </summary>
internal static unsafe partial class OpenBlasNative
{
    /// <summary>Logical library name that the resolver recognises.</summary>
    internal const string LibraryName = "engine-openblas";

    /// <summary>CBLAS_ORDER: row-major storage.</summary>
    internal const int RowMajor = 101;

    /// <summary>CBLAS_TRANSPOSE: use the matrix as stored.</summary>
    internal const int NoTrans = 111;

    /// <summary>CBLAS_TRANSPOSE: use the transpose.</summary>
    internal const int Trans = 112;

    /// <summary>Every symbol declared below, checked when the library is loaded.</summary>
    internal static readonly string[] RequiredSymbols =
    [
        "cblas_sgemm",
        "cblas_dgemm",
        "openblas_get_corename",
        "openblas_get_config",
        "openblas_get_num_threads",
        "openblas_set_num_threads",
    ];

    [LibraryImport(LibraryName, EntryPoint = "cblas_sgemm")]
    internal static partial void Sgemm(
        int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(LibraryName, EntryPoint = "cblas_dgemm")]
    internal static partial void Dgemm(
        int order, int transA, int transB, int m, int n, int k,
        double alpha, double* a, int lda, double* b, int ldb, double beta, double* c, int ldc);

    /// <summary>Static string naming the kernel set in use (e.g. Haswell); must not be freed.</summary>
    [LibraryImport(LibraryName, EntryPoint = "openblas_get_corename")]
    internal static partial byte* GetCoreName();

    /// <summary>Static string with version and build options; must not be freed.</summary>
    [LibraryImport(LibraryName, EntryPoint = "openblas_get_config")]
    internal static partial byte* GetConfig();

    [LibraryImport(LibraryName, EntryPoint = "openblas_get_num_threads")]
    internal static partial int GetNumThreads();

    [LibraryImport(LibraryName, EntryPoint = "openblas_set_num_threads")]
    internal static partial void SetNumThreads(int threads);
}
