/* Internal state of the shim: the loaded libraries' entry points, the device, stream and handles. */
#ifndef ECUD_SHIM_H
#define ECUD_SHIM_H

#include "../include/ecud.h"
#include "cuda_decls.h"

#define ECUD_FN(name) ec_##name##_t name

typedef struct ecud_runtime {
  ECUD_FN(cudaGetDeviceCount);
  ECUD_FN(cudaSetDevice);
  ECUD_FN(cudaDeviceGetAttribute);
  ECUD_FN(cudaMalloc);
  ECUD_FN(cudaFree);
  ECUD_FN(cudaMemcpyAsync);
  ECUD_FN(cudaMemsetAsync);
  ECUD_FN(cudaStreamCreateWithFlags);
  ECUD_FN(cudaStreamSynchronize);
  ECUD_FN(cudaStreamDestroy);
  ECUD_FN(cudaGetErrorString);
  ECUD_FN(cudaGetLastError);
  ECUD_FN(cudaRuntimeGetVersion);
  ECUD_FN(cudaDriverGetVersion);
  ECUD_FN(cudaMemGetInfo);
  ECUD_FN(cudaStreamBeginCapture);
  ECUD_FN(cudaStreamEndCapture);
  ECUD_FN(cudaStreamIsCapturing);
  ECUD_FN(cudaGraphInstantiate);
  ECUD_FN(cudaGraphLaunch);
  ECUD_FN(cudaGraphExecDestroy);
  ECUD_FN(cudaGraphDestroy);
  ECUD_FN(cudaHostAlloc);
  ECUD_FN(cudaFreeHost);
  ECUD_FN(cudaEventCreateWithFlags);
  ECUD_FN(cudaEventDestroy);
  ECUD_FN(cudaEventRecord);
  ECUD_FN(cudaEventSynchronize);
  ECUD_FN(cudaEventElapsedTime);
  ECUD_FN(cudaStreamWaitEvent);
} ecud_runtime;

typedef struct ecud_driver {
  ECUD_FN(cuInit);
  ECUD_FN(cuModuleLoadData);
  ECUD_FN(cuModuleUnload);
  ECUD_FN(cuModuleGetFunction);
  ECUD_FN(cuLaunchKernel);
  ECUD_FN(cuGetErrorString);
} ecud_driver;

typedef struct ecud_cublas {
  ECUD_FN(cublasCreate);
  ECUD_FN(cublasDestroy);
  ECUD_FN(cublasSetStream);
  ECUD_FN(cublasSetMathMode);
  ECUD_FN(cublasGetVersion);
  ECUD_FN(cublasSgemm);
  ECUD_FN(cublasDgemm);
  ECUD_FN(cublasGemmEx);
} ecud_cublas;

typedef struct ecud_cudnn {
  ECUD_FN(cudnnGetVersion);
  ECUD_FN(cudnnGetErrorString);
  ECUD_FN(cudnnCreate);
  ECUD_FN(cudnnDestroy);
  ECUD_FN(cudnnSetStream);
  ECUD_FN(cudnnCreateTensorDescriptor);
  ECUD_FN(cudnnSetTensorNdDescriptor);
  ECUD_FN(cudnnDestroyTensorDescriptor);
  ECUD_FN(cudnnCreateFilterDescriptor);
  ECUD_FN(cudnnSetFilterNdDescriptor);
  ECUD_FN(cudnnDestroyFilterDescriptor);
  ECUD_FN(cudnnCreateConvolutionDescriptor);
  ECUD_FN(cudnnSetConvolutionNdDescriptor);
  ECUD_FN(cudnnSetConvolutionGroupCount);
  ECUD_FN(cudnnSetConvolutionMathType);
  ECUD_FN(cudnnDestroyConvolutionDescriptor);
  ECUD_FN(cudnnGetConvolutionForwardAlgorithm_v7);
  ECUD_FN(cudnnGetConvolutionBackwardDataAlgorithm_v7);
  ECUD_FN(cudnnGetConvolutionBackwardFilterAlgorithm_v7);
  ECUD_FN(cudnnGetConvolutionForwardWorkspaceSize);
  ECUD_FN(cudnnGetConvolutionBackwardDataWorkspaceSize);
  ECUD_FN(cudnnGetConvolutionBackwardFilterWorkspaceSize);
  ECUD_FN(cudnnConvolutionForward);
  ECUD_FN(cudnnConvolutionBackwardData);
  ECUD_FN(cudnnConvolutionBackwardFilter);
  ECUD_FN(cudnnFindConvolutionForwardAlgorithmEx);
  ECUD_FN(cudnnFindConvolutionBackwardDataAlgorithmEx);
  ECUD_FN(cudnnFindConvolutionBackwardFilterAlgorithmEx);
  ECUD_FN(cudnnCreateActivationDescriptor);
  ECUD_FN(cudnnSetActivationDescriptor);
  ECUD_FN(cudnnDestroyActivationDescriptor);
  ECUD_FN(cudnnConvolutionBiasActivationForward);
} ecud_cudnn;

typedef struct ecud_nvrtc {
  ECUD_FN(nvrtcVersion);
  ECUD_FN(nvrtcCreateProgram);
  ECUD_FN(nvrtcCompileProgram);
  ECUD_FN(nvrtcGetProgramLogSize);
  ECUD_FN(nvrtcGetProgramLog);
  ECUD_FN(nvrtcGetCUBINSize);
  ECUD_FN(nvrtcGetCUBIN);
  ECUD_FN(nvrtcDestroyProgram);
  ECUD_FN(nvrtcGetErrorString);
} ecud_nvrtc;

typedef struct ecud_state {
  int loaded;
  int initialised;
  int device;
  int strict;
  int precision; /* ECUD_PRECISION_*; strict == (precision == ECUD_PRECISION_STRICT) */
  int layout;    /* ECUD_LAYOUT_* of the convolutions (ecud_set_layout) */
  int cc_major, cc_minor;
  ecud_runtime rt;
  ecud_driver drv;
  ecud_cublas blas;
  ecud_cudnn dnn;
  ecud_nvrtc rtc;
  ec_cudaStream_t stream;
  ec_cublasHandle_t cublas;
  ec_cudnnHandle_t cudnn;
  void *workspace; /* cuDNN workspace, grown on demand (never in a steady training step) */
  size_t workspace_bytes;
  void *half_buffer; /* 16-bit copies of float32 operands under bf16/fp16 (half_precision.c) */
  size_t half_buffer_bytes;
  /* Graphs captured and not destroyed (graph.c), and the buffers above outgrown while one existed:
   * a graph holds the addresses of its capture, so those blocks are freed with the last graph. */
  int live_graphs;
  void **retired; /* malloc'd, retired_capacity entries */
  int retired_count, retired_capacity;
  char kernel_cache[1024];
  char library_report[8192];
} ecud_state;

extern ecud_state ecud_g;

/* Error reporting: formats the thread's last error message and returns the status. */
int ecud_fail(int status, const char *format, ...);
int ecud_check_cuda(ec_cudaError_t error, const char *call);
int ecud_check_driver(ec_CUresult error, const char *call);
int ecud_check_cublas(ec_cublasStatus_t status, const char *call);
int ecud_check_cudnn(ec_cudnnStatus_t status, const char *call);
/* Makes the device current on the calling thread (the runtime binds its primary context). */
int ecud_bind_thread(void);
int ecud_require_init(void);
/* A device buffer kept between calls, grown to at least bytes (after the stream drains); while a
 * graph exists the old block is retired, not freed (ecud_free_retired frees it with the last graph). */
int ecud_grow_device_buffer(void **buffer, size_t *capacity, size_t bytes, const char *what);
void ecud_free_retired(void);
/* ECUD_OK, or ECUD_ERROR_CAPTURE naming `call` when the calling thread is capturing (graph.c): the
 * calls that would break a capture are refused before they reach CUDA. */
int ecud_refuse_in_capture(const char *call);

/* Loader */
int ecud_load_libraries(const char *search_path);
int ecud_load_nvrtc(const char *search_path);
/* An optional library (NCCL), searched like the others; its symbols by name (NULL when absent). */
int ecud_open_optional(const char *what, const char *const *names, const char *search_path, void **handle, char *found,
                       size_t found_size);
void *ecud_find_symbol(void *handle, const char *name);

/* Module registry of kernels.c, released at shutdown. */
void ecud_kernels_release(void);
void ecud_convolution_release(void);
/* Descriptors of one convolution (convolution.c), in the current layout; shared with fused.c. */
typedef struct ecud_conv_descriptors {
  ec_cudnnTensorDescriptor_t x, y;
  ec_cudnnFilterDescriptor_t w;
  ec_cudnnConvolutionDescriptor_t conv;
} ecud_conv_descriptors;
int ecud_conv_create(ecud_conv_descriptors *d, int cudnn_type, int compute_type, int spatial, const int *x_dims, const int *w_dims,
                     const int *y_dims, const int *pad, const int *stride, const int *dilation, int groups, int math);
void ecud_conv_destroy(ecud_conv_descriptors *d);
int ecud_conv_workspace(size_t bytes);
/* Copy stream, upload and timing events of staging.c, released at shutdown. */
void ecud_staging_release(void);

/* --precision bf16 / fp16 (half_precision.c): whether float32 convolutions and GEMMs run through
 * 16-bit copies; the cuDNN / cudaDataType of those copies; a staging buffer of at least bytes
 * (grown on demand, after the stream drains); casts on the stream; the GEMM through cublasGemmEx. */
int ecud_half_precision(void);
int ecud_half_cudnn_type(void);
int ecud_half_staging(size_t bytes, void **buffer);
int ecud_cast_to_half(const void *source, void *destination, size_t count);
int ecud_cast_from_half(const void *source, void *destination, size_t count);
int ecud_gemm_half(int op_a, int op_b, int m, int n, int k, double alpha, const void *a, int lda, const void *b, int ldb, double beta,
                   void *c);
void ecud_half_release(void);

/* The embedded kernel sources (generated from kernels/ by embed_kernels.cmake). */
typedef struct ecud_embedded_source {
  const char *name;
  const char *text;
} ecud_embedded_source;
extern const ecud_embedded_source ecud_embedded_sources[];
extern const int ecud_embedded_source_count;

#define ECUD_TRY(expr) do { int ecud_try_status__ = (expr); if (ecud_try_status__ != ECUD_OK) return ecud_try_status__; } while (0)

#endif
