/* Opens the CUDA libraries at run time and resolves the entry points the shim uses. A missing
 * library or symbol is reported with the names tried and the loader's own error. */
#include "shim.h"

#include <stdio.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
typedef HMODULE ecud_library;
static ecud_library open_library(const char *path) { return LoadLibraryA(path); }
static void *find_symbol(ecud_library l, const char *name) { return (void *)GetProcAddress(l, name); }
static const char *loader_error(void) { return "LoadLibrary failed"; }
#define PATH_SEPARATOR ';'
#else
#include <dlfcn.h>
typedef void *ecud_library;
static ecud_library open_library(const char *path) { return dlopen(path, RTLD_NOW | RTLD_LOCAL); }
static void *find_symbol(ecud_library l, const char *name) { return dlsym(l, name); }
static const char *loader_error(void) { const char *e = dlerror(); return e ? e : "unknown error"; }
#define PATH_SEPARATOR ':'
#endif

typedef struct library_spec {
  const char *what;
  const char *names[6];
} library_spec;

#if defined(_WIN32)
static const library_spec RUNTIME = {"CUDA runtime", {"cudart64_13.dll", "cudart64_12.dll", 0}};
static const library_spec DRIVER = {"CUDA driver", {"nvcuda.dll", 0}};
static const library_spec CUBLAS = {"cuBLAS", {"cublas64_13.dll", "cublas64_12.dll", 0}};
static const library_spec CUDNN = {"cuDNN 9", {"cudnn64_9.dll", 0}};
static const library_spec NVRTC = {"NVRTC", {"nvrtc64_130_0.dll", "nvrtc64_120_0.dll", 0}};
#else
static const library_spec RUNTIME = {"CUDA runtime", {"libcudart.so.13", "libcudart.so.12", "libcudart.so", 0}};
static const library_spec DRIVER = {"CUDA driver", {"libcuda.so.1", "libcuda.so", 0}};
static const library_spec CUBLAS = {"cuBLAS", {"libcublas.so.13", "libcublas.so.12", "libcublas.so", 0}};
static const library_spec CUDNN = {"cuDNN 9", {"libcudnn.so.9", 0}};
static const library_spec NVRTC = {"NVRTC", {"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so", 0}};
#endif

static const char *FALLBACK_FOLDERS[] = {
#if !defined(_WIN32)
    "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/nvidia/lib64",
    "/usr/lib/x86_64-linux-gnu",
#endif
    0};

static int try_folder(const char *folder, size_t length, const char *name, ecud_library *out, char *found, size_t found_size) {
  char path[1200];
  if (length + strlen(name) + 2 > sizeof path) return 0;
  memcpy(path, folder, length);
  path[length] = '/';
  strcpy(path + length + 1, name);
  ecud_library l = open_library(path);
  if (!l) return 0;
  *out = l;
  snprintf(found, found_size, "%s", path);
  return 1;
}

/* Returns ECUD_OK with the library open, or ECUD_ERROR_LIBRARY naming what was tried. */

/* Search order: each folder of search_path, then the system's loader (LD_LIBRARY_PATH, the
 * ldconfig cache), then the usual CUDA folders. */
static int open_spec(const library_spec *spec, const char *search_path, ecud_library *out, char *found, size_t found_size) {
  char first_error[600] = "";
  for (int i = 0; spec->names[i]; i++) {
    const char *name = spec->names[i];
    if (search_path && *search_path) {
      const char *p = search_path;
      while (*p) {
        const char *end = strchr(p, PATH_SEPARATOR);
        size_t length = end ? (size_t)(end - p) : strlen(p);
        if (length > 0 && try_folder(p, length, name, out, found, found_size)) return ECUD_OK;
        if (!end) break;
        p = end + 1;
      }
    }
    ecud_library l = open_library(name);
    if (l) {
      *out = l;
      snprintf(found, found_size, "%s", name);
      return ECUD_OK;
    }
    if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", loader_error());
    for (int f = 0; FALLBACK_FOLDERS[f]; f++)
      if (try_folder(FALLBACK_FOLDERS[f], strlen(FALLBACK_FOLDERS[f]), name, out, found, found_size)) return ECUD_OK;
  }
  char names[300] = "";
  for (int i = 0; spec->names[i]; i++) {
    if (i) strncat(names, ", ", sizeof names - strlen(names) - 1);
    strncat(names, spec->names[i], sizeof names - strlen(names) - 1);
  }
  return ecud_fail(ECUD_ERROR_LIBRARY, "%s not found (looked for %s): %s", spec->what, names, first_error);
}

#define RESOLVE(table, library, symbol, exported)                                                                  \
  do {                                                                                                             \
    *(void **)&ecud_g.table.symbol = find_symbol(library, exported);                                               \
    if (!ecud_g.table.symbol) return ecud_fail(ECUD_ERROR_LIBRARY, "%s has no symbol %s", where, exported);       \
  } while (0)

static int resolve_nvrtc(ecud_library rtc, const char *where);

int ecud_load_libraries(const char *search_path) {
  if (ecud_g.loaded) return ECUD_OK;
  ecud_library rt, drv, blas, dnn, rtc;
  char f_rt[1200], f_drv[1200], f_blas[1200], f_dnn[1200], f_rtc[1200];
  ECUD_TRY(open_spec(&DRIVER, search_path, &drv, f_drv, sizeof f_drv));
  ECUD_TRY(open_spec(&RUNTIME, search_path, &rt, f_rt, sizeof f_rt));
  ECUD_TRY(open_spec(&CUBLAS, search_path, &blas, f_blas, sizeof f_blas));
  ECUD_TRY(open_spec(&CUDNN, search_path, &dnn, f_dnn, sizeof f_dnn));
  ECUD_TRY(open_spec(&NVRTC, search_path, &rtc, f_rtc, sizeof f_rtc));

  const char *where = f_rt;
  RESOLVE(rt, rt, cudaGetDeviceCount, "cudaGetDeviceCount");
  RESOLVE(rt, rt, cudaSetDevice, "cudaSetDevice");
  RESOLVE(rt, rt, cudaDeviceGetAttribute, "cudaDeviceGetAttribute");
  RESOLVE(rt, rt, cudaMalloc, "cudaMalloc");
  RESOLVE(rt, rt, cudaFree, "cudaFree");
  RESOLVE(rt, rt, cudaMemcpyAsync, "cudaMemcpyAsync");
  RESOLVE(rt, rt, cudaMemsetAsync, "cudaMemsetAsync");
  RESOLVE(rt, rt, cudaStreamCreateWithFlags, "cudaStreamCreateWithFlags");
  RESOLVE(rt, rt, cudaStreamSynchronize, "cudaStreamSynchronize");
  RESOLVE(rt, rt, cudaStreamDestroy, "cudaStreamDestroy");
  RESOLVE(rt, rt, cudaGetErrorString, "cudaGetErrorString");
  RESOLVE(rt, rt, cudaGetLastError, "cudaGetLastError");
  RESOLVE(rt, rt, cudaRuntimeGetVersion, "cudaRuntimeGetVersion");
  RESOLVE(rt, rt, cudaDriverGetVersion, "cudaDriverGetVersion");
  RESOLVE(rt, rt, cudaMemGetInfo, "cudaMemGetInfo");
  RESOLVE(rt, rt, cudaStreamBeginCapture, "cudaStreamBeginCapture");
  RESOLVE(rt, rt, cudaStreamEndCapture, "cudaStreamEndCapture");
  RESOLVE(rt, rt, cudaStreamIsCapturing, "cudaStreamIsCapturing");
  RESOLVE(rt, rt, cudaGraphInstantiate, "cudaGraphInstantiate");
  RESOLVE(rt, rt, cudaGraphLaunch, "cudaGraphLaunch");
  RESOLVE(rt, rt, cudaGraphExecDestroy, "cudaGraphExecDestroy");
  RESOLVE(rt, rt, cudaGraphDestroy, "cudaGraphDestroy");
  RESOLVE(rt, rt, cudaHostAlloc, "cudaHostAlloc");
  RESOLVE(rt, rt, cudaFreeHost, "cudaFreeHost");
  RESOLVE(rt, rt, cudaEventCreateWithFlags, "cudaEventCreateWithFlags");
  RESOLVE(rt, rt, cudaEventDestroy, "cudaEventDestroy");
  RESOLVE(rt, rt, cudaEventRecord, "cudaEventRecord");
  RESOLVE(rt, rt, cudaEventSynchronize, "cudaEventSynchronize");
  RESOLVE(rt, rt, cudaEventElapsedTime, "cudaEventElapsedTime");
  RESOLVE(rt, rt, cudaStreamWaitEvent, "cudaStreamWaitEvent");

  where = f_drv;
  RESOLVE(drv, drv, cuInit, "cuInit");
  RESOLVE(drv, drv, cuModuleLoadData, "cuModuleLoadData");
  RESOLVE(drv, drv, cuModuleUnload, "cuModuleUnload");
  RESOLVE(drv, drv, cuModuleGetFunction, "cuModuleGetFunction");
  RESOLVE(drv, drv, cuLaunchKernel, "cuLaunchKernel");
  RESOLVE(drv, drv, cuGetErrorString, "cuGetErrorString");

  where = f_blas;
  RESOLVE(blas, blas, cublasCreate, "cublasCreate_v2");
  RESOLVE(blas, blas, cublasDestroy, "cublasDestroy_v2");
  RESOLVE(blas, blas, cublasSetStream, "cublasSetStream_v2");
  RESOLVE(blas, blas, cublasSetMathMode, "cublasSetMathMode");
  RESOLVE(blas, blas, cublasGetVersion, "cublasGetVersion_v2");
  RESOLVE(blas, blas, cublasSgemm, "cublasSgemm_v2");
  RESOLVE(blas, blas, cublasDgemm, "cublasDgemm_v2");
  RESOLVE(blas, blas, cublasGemmEx, "cublasGemmEx");

  where = f_dnn;
  RESOLVE(dnn, dnn, cudnnGetVersion, "cudnnGetVersion");
  RESOLVE(dnn, dnn, cudnnGetErrorString, "cudnnGetErrorString");
  RESOLVE(dnn, dnn, cudnnCreate, "cudnnCreate");
  RESOLVE(dnn, dnn, cudnnDestroy, "cudnnDestroy");
  RESOLVE(dnn, dnn, cudnnSetStream, "cudnnSetStream");
  RESOLVE(dnn, dnn, cudnnCreateTensorDescriptor, "cudnnCreateTensorDescriptor");
  RESOLVE(dnn, dnn, cudnnSetTensorNdDescriptor, "cudnnSetTensorNdDescriptor");
  RESOLVE(dnn, dnn, cudnnDestroyTensorDescriptor, "cudnnDestroyTensorDescriptor");
  RESOLVE(dnn, dnn, cudnnCreateFilterDescriptor, "cudnnCreateFilterDescriptor");
  RESOLVE(dnn, dnn, cudnnSetFilterNdDescriptor, "cudnnSetFilterNdDescriptor");
  RESOLVE(dnn, dnn, cudnnDestroyFilterDescriptor, "cudnnDestroyFilterDescriptor");
  RESOLVE(dnn, dnn, cudnnCreateConvolutionDescriptor, "cudnnCreateConvolutionDescriptor");
  RESOLVE(dnn, dnn, cudnnSetConvolutionNdDescriptor, "cudnnSetConvolutionNdDescriptor");
  RESOLVE(dnn, dnn, cudnnSetConvolutionGroupCount, "cudnnSetConvolutionGroupCount");
  RESOLVE(dnn, dnn, cudnnSetConvolutionMathType, "cudnnSetConvolutionMathType");
  RESOLVE(dnn, dnn, cudnnDestroyConvolutionDescriptor, "cudnnDestroyConvolutionDescriptor");
  RESOLVE(dnn, dnn, cudnnGetConvolutionForwardAlgorithm_v7, "cudnnGetConvolutionForwardAlgorithm_v7");
  RESOLVE(dnn, dnn, cudnnGetConvolutionBackwardDataAlgorithm_v7, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  RESOLVE(dnn, dnn, cudnnGetConvolutionBackwardFilterAlgorithm_v7, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  RESOLVE(dnn, dnn, cudnnGetConvolutionForwardWorkspaceSize, "cudnnGetConvolutionForwardWorkspaceSize");
  RESOLVE(dnn, dnn, cudnnGetConvolutionBackwardDataWorkspaceSize, "cudnnGetConvolutionBackwardDataWorkspaceSize");
  RESOLVE(dnn, dnn, cudnnGetConvolutionBackwardFilterWorkspaceSize, "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  RESOLVE(dnn, dnn, cudnnConvolutionForward, "cudnnConvolutionForward");
  RESOLVE(dnn, dnn, cudnnConvolutionBackwardData, "cudnnConvolutionBackwardData");
  RESOLVE(dnn, dnn, cudnnConvolutionBackwardFilter, "cudnnConvolutionBackwardFilter");
  RESOLVE(dnn, dnn, cudnnFindConvolutionForwardAlgorithmEx, "cudnnFindConvolutionForwardAlgorithmEx");
  RESOLVE(dnn, dnn, cudnnFindConvolutionBackwardDataAlgorithmEx, "cudnnFindConvolutionBackwardDataAlgorithmEx");
  RESOLVE(dnn, dnn, cudnnFindConvolutionBackwardFilterAlgorithmEx, "cudnnFindConvolutionBackwardFilterAlgorithmEx");
  RESOLVE(dnn, dnn, cudnnCreateActivationDescriptor, "cudnnCreateActivationDescriptor");
  RESOLVE(dnn, dnn, cudnnSetActivationDescriptor, "cudnnSetActivationDescriptor");
  RESOLVE(dnn, dnn, cudnnDestroyActivationDescriptor, "cudnnDestroyActivationDescriptor");
  RESOLVE(dnn, dnn, cudnnConvolutionBiasActivationForward, "cudnnConvolutionBiasActivationForward");

  ECUD_TRY(resolve_nvrtc(rtc, f_rtc));

  snprintf(ecud_g.library_report, sizeof ecud_g.library_report, "driver %s; runtime %s; cuBLAS %s; cuDNN %s; NVRTC %s",
           f_drv, f_rt, f_blas, f_dnn, f_rtc);
  ecud_g.loaded = 1;
  return ECUD_OK;
}

static int resolve_nvrtc(ecud_library rtc, const char *where) {
  RESOLVE(rtc, rtc, nvrtcVersion, "nvrtcVersion");
  RESOLVE(rtc, rtc, nvrtcCreateProgram, "nvrtcCreateProgram");
  RESOLVE(rtc, rtc, nvrtcCompileProgram, "nvrtcCompileProgram");
  RESOLVE(rtc, rtc, nvrtcGetProgramLogSize, "nvrtcGetProgramLogSize");
  RESOLVE(rtc, rtc, nvrtcGetProgramLog, "nvrtcGetProgramLog");
  RESOLVE(rtc, rtc, nvrtcGetCUBINSize, "nvrtcGetCUBINSize");
  RESOLVE(rtc, rtc, nvrtcGetCUBIN, "nvrtcGetCUBIN");
  RESOLVE(rtc, rtc, nvrtcDestroyProgram, "nvrtcDestroyProgram");
  RESOLVE(rtc, rtc, nvrtcGetErrorString, "nvrtcGetErrorString");
  return ECUD_OK;
}

int ecud_load_nvrtc(const char *search_path) {
  if (ecud_g.rtc.nvrtcGetErrorString) return ECUD_OK;
  ecud_library rtc;
  char found[1200];
  ECUD_TRY(open_spec(&NVRTC, search_path, &rtc, found, sizeof found));
  return resolve_nvrtc(rtc, found);
}

/* An optional library opened on first use (nccl.c): the same search as the required ones, a
 * failure naming what was tried. names ends with NULL; at most 5 names. */
int ecud_open_optional(const char *what, const char *const *names, const char *search_path, void **handle, char *found,
                       size_t found_size) {
  library_spec spec = {what, {0}};
  for (int i = 0; i < 5 && names[i]; i++) spec.names[i] = names[i];
  ecud_library l;
  ECUD_TRY(open_spec(&spec, search_path, &l, found, found_size));
  *handle = (void *)l;
  return ECUD_OK;
}

void *ecud_find_symbol(void *handle, const char *name) { return find_symbol((ecud_library)handle, name); }
