/*
 * The few CUDA runtime/driver, cuBLAS, cuDNN 9 and NVRTC declarations the shim uses, written out
 * here so that the shim compiles with no CUDA headers. Values and prototypes are from the
 * libraries' public headers (CUDA 13, cuBLAS 13, cuDNN 9, NVRTC 13); check/header_check.c, compiled
 * on a GPU machine against the real headers, asserts that they agree.
 */
#ifndef ECUD_CUDA_DECLS_H
#define ECUD_CUDA_DECLS_H

#include <stddef.h>

/* ---- CUDA runtime ---- */
typedef int ec_cudaError_t;
typedef void *ec_cudaStream_t;
typedef void *ec_cudaGraph_t;
typedef void *ec_cudaGraphExec_t;
typedef void *ec_cudaEvent_t;
enum {
  EC_cudaSuccess = 0,
  EC_cudaErrorMemoryAllocation = 2,
  EC_cudaErrorInsufficientDriver = 35,
  EC_cudaErrorNoDevice = 100,
  EC_cudaMemcpyHostToDevice = 1,
  EC_cudaMemcpyDeviceToHost = 2,
  EC_cudaMemcpyDeviceToDevice = 3,
  EC_cudaStreamNonBlocking = 1,
  EC_cudaDevAttrMultiProcessorCount = 16,
  EC_cudaDevAttrComputeCapabilityMajor = 75,
  EC_cudaDevAttrComputeCapabilityMinor = 76,
  /* Stream capture (CUDA graphs). */
  EC_cudaErrorStreamCaptureUnsupported = 900,
  EC_cudaErrorStreamCaptureInvalidated = 901,
  EC_cudaErrorStreamCaptureWrongThread = 908,
  EC_cudaStreamCaptureModeGlobal = 0,
  EC_cudaStreamCaptureModeThreadLocal = 1,
  EC_cudaStreamCaptureModeRelaxed = 2,
  EC_cudaStreamCaptureStatusNone = 0,
  EC_cudaStreamCaptureStatusActive = 1,
  EC_cudaStreamCaptureStatusInvalidated = 2,
  /* Pinned staging and events (uploads on a copy stream, step timing). */
  EC_cudaHostAllocDefault = 0,
  EC_cudaEventDefault = 0,
  EC_cudaEventDisableTiming = 2
};
typedef ec_cudaError_t (*ec_cudaGetDeviceCount_t)(int *count);
typedef ec_cudaError_t (*ec_cudaSetDevice_t)(int device);
typedef ec_cudaError_t (*ec_cudaDeviceGetAttribute_t)(int *value, int attribute, int device);
typedef ec_cudaError_t (*ec_cudaMalloc_t)(void **pointer, size_t size);
typedef ec_cudaError_t (*ec_cudaFree_t)(void *pointer);
typedef ec_cudaError_t (*ec_cudaMemcpyAsync_t)(void *dst, const void *src, size_t count, int kind, ec_cudaStream_t stream);
typedef ec_cudaError_t (*ec_cudaMemsetAsync_t)(void *dst, int value, size_t count, ec_cudaStream_t stream);
typedef ec_cudaError_t (*ec_cudaStreamCreateWithFlags_t)(ec_cudaStream_t *stream, unsigned int flags);
typedef ec_cudaError_t (*ec_cudaStreamSynchronize_t)(ec_cudaStream_t stream);
typedef ec_cudaError_t (*ec_cudaStreamDestroy_t)(ec_cudaStream_t stream);
typedef const char *(*ec_cudaGetErrorString_t)(ec_cudaError_t error);
typedef ec_cudaError_t (*ec_cudaGetLastError_t)(void);
typedef ec_cudaError_t (*ec_cudaRuntimeGetVersion_t)(int *version);
typedef ec_cudaError_t (*ec_cudaDriverGetVersion_t)(int *version);
typedef ec_cudaError_t (*ec_cudaMemGetInfo_t)(size_t *free_bytes, size_t *total_bytes);
/* Enums (cudaStreamCaptureMode, cudaStreamCaptureStatus) passed as int: the C ABI passes them alike. */
typedef ec_cudaError_t (*ec_cudaStreamBeginCapture_t)(ec_cudaStream_t stream, int mode);
typedef ec_cudaError_t (*ec_cudaStreamEndCapture_t)(ec_cudaStream_t stream, ec_cudaGraph_t *graph);
typedef ec_cudaError_t (*ec_cudaStreamIsCapturing_t)(ec_cudaStream_t stream, int *status);
/* CUDA 12 and later: the three-argument form (the five-argument one of CUDA 11 is gone). */
typedef ec_cudaError_t (*ec_cudaGraphInstantiate_t)(ec_cudaGraphExec_t *exec, ec_cudaGraph_t graph, unsigned long long flags);
typedef ec_cudaError_t (*ec_cudaGraphLaunch_t)(ec_cudaGraphExec_t exec, ec_cudaStream_t stream);
typedef ec_cudaError_t (*ec_cudaGraphExecDestroy_t)(ec_cudaGraphExec_t exec);
typedef ec_cudaError_t (*ec_cudaGraphDestroy_t)(ec_cudaGraph_t graph);
typedef ec_cudaError_t (*ec_cudaHostAlloc_t)(void **host, size_t size, unsigned int flags);
typedef ec_cudaError_t (*ec_cudaFreeHost_t)(void *host);
typedef ec_cudaError_t (*ec_cudaEventCreateWithFlags_t)(ec_cudaEvent_t *event, unsigned int flags);
typedef ec_cudaError_t (*ec_cudaEventDestroy_t)(ec_cudaEvent_t event);
typedef ec_cudaError_t (*ec_cudaEventRecord_t)(ec_cudaEvent_t event, ec_cudaStream_t stream);
typedef ec_cudaError_t (*ec_cudaEventSynchronize_t)(ec_cudaEvent_t event);
typedef ec_cudaError_t (*ec_cudaEventElapsedTime_t)(float *ms, ec_cudaEvent_t start, ec_cudaEvent_t end);
typedef ec_cudaError_t (*ec_cudaStreamWaitEvent_t)(ec_cudaStream_t stream, ec_cudaEvent_t event, unsigned int flags);

/* ---- CUDA driver (modules and launches only) ---- */
typedef int ec_CUresult;
typedef void *ec_CUmodule;
typedef void *ec_CUfunction;
enum { EC_CUDA_SUCCESS = 0 };
typedef ec_CUresult (*ec_cuInit_t)(unsigned int flags);
typedef ec_CUresult (*ec_cuModuleLoadData_t)(ec_CUmodule *module, const void *image);
typedef ec_CUresult (*ec_cuModuleUnload_t)(ec_CUmodule module);
typedef ec_CUresult (*ec_cuModuleGetFunction_t)(ec_CUfunction *function, ec_CUmodule module, const char *name);
typedef ec_CUresult (*ec_cuLaunchKernel_t)(ec_CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz,
                                           unsigned int bx, unsigned int by, unsigned int bz, unsigned int shared,
                                           ec_cudaStream_t stream, void **params, void **extra);
typedef ec_CUresult (*ec_cuGetErrorString_t)(ec_CUresult error, const char **text);

/* ---- cuBLAS ---- */
typedef int ec_cublasStatus_t;
typedef void *ec_cublasHandle_t;
enum {
  EC_CUBLAS_STATUS_SUCCESS = 0,
  EC_CUBLAS_OP_N = 0,
  EC_CUBLAS_OP_T = 1,
  EC_CUBLAS_DEFAULT_MATH = 0,
  EC_CUBLAS_PEDANTIC_MATH = 2,
  EC_CUBLAS_TF32_TENSOR_OP_MATH = 3,
  EC_CUBLAS_COMPUTE_32F = 68,
  EC_CUBLAS_GEMM_DEFAULT = -1,
  /* cudaDataType_t (library_types.h) */
  EC_CUDA_R_32F = 0,
  EC_CUDA_R_16F = 2,
  EC_CUDA_R_16BF = 14
};
typedef ec_cublasStatus_t (*ec_cublasCreate_t)(ec_cublasHandle_t *handle);
typedef ec_cublasStatus_t (*ec_cublasDestroy_t)(ec_cublasHandle_t handle);
typedef ec_cublasStatus_t (*ec_cublasSetStream_t)(ec_cublasHandle_t handle, ec_cudaStream_t stream);
typedef ec_cublasStatus_t (*ec_cublasSetMathMode_t)(ec_cublasHandle_t handle, int mode);
typedef ec_cublasStatus_t (*ec_cublasGetVersion_t)(ec_cublasHandle_t handle, int *version);
typedef ec_cublasStatus_t (*ec_cublasSgemm_t)(ec_cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                              const float *alpha, const float *a, int lda, const float *b, int ldb,
                                              const float *beta, float *c, int ldc);
typedef ec_cublasStatus_t (*ec_cublasDgemm_t)(ec_cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                              const double *alpha, const double *a, int lda, const double *b, int ldb,
                                              const double *beta, double *c, int ldc);
typedef ec_cublasStatus_t (*ec_cublasGemmEx_t)(ec_cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                               const void *alpha, const void *a, int atype, int lda, const void *b, int btype, int ldb,
                                               const void *beta, void *c, int ctype, int ldc, int computeType, int algo);

/* ---- cuDNN 9 (legacy imperative API) ---- */
typedef int ec_cudnnStatus_t;
typedef void *ec_cudnnHandle_t;
typedef void *ec_cudnnTensorDescriptor_t;
typedef void *ec_cudnnFilterDescriptor_t;
typedef void *ec_cudnnConvolutionDescriptor_t;
enum {
  EC_CUDNN_STATUS_SUCCESS = 0,
  EC_CUDNN_DATA_FLOAT = 0,
  EC_CUDNN_DATA_DOUBLE = 1,
  EC_CUDNN_DATA_HALF = 2,
  EC_CUDNN_DATA_BFLOAT16 = 9,
  EC_CUDNN_TENSOR_NCHW = 0,
  EC_CUDNN_CROSS_CORRELATION = 1,
  EC_CUDNN_DEFAULT_MATH = 0,
  EC_CUDNN_TENSOR_OP_MATH = 1,
  EC_CUDNN_FMA_MATH = 3,
  EC_CUDNN_NON_DETERMINISTIC = 0,
  EC_CUDNN_DETERMINISTIC = 1
};
/* cudnnConvolution{Fwd,BwdData,BwdFilter}AlgoPerf_t share this layout. */
typedef struct ec_cudnnAlgoPerf {
  int algo;
  ec_cudnnStatus_t status;
  float time;
  size_t memory;
  int determinism;
  int mathType;
  int reserved[3];
} ec_cudnnAlgoPerf;

typedef size_t (*ec_cudnnGetVersion_t)(void);
typedef const char *(*ec_cudnnGetErrorString_t)(ec_cudnnStatus_t status);
typedef ec_cudnnStatus_t (*ec_cudnnCreate_t)(ec_cudnnHandle_t *handle);
typedef ec_cudnnStatus_t (*ec_cudnnDestroy_t)(ec_cudnnHandle_t handle);
typedef ec_cudnnStatus_t (*ec_cudnnSetStream_t)(ec_cudnnHandle_t handle, ec_cudaStream_t stream);
typedef ec_cudnnStatus_t (*ec_cudnnCreateTensorDescriptor_t)(ec_cudnnTensorDescriptor_t *d);
typedef ec_cudnnStatus_t (*ec_cudnnSetTensorNdDescriptor_t)(ec_cudnnTensorDescriptor_t d, int type, int rank, const int *dims, const int *strides);
typedef ec_cudnnStatus_t (*ec_cudnnDestroyTensorDescriptor_t)(ec_cudnnTensorDescriptor_t d);
typedef ec_cudnnStatus_t (*ec_cudnnCreateFilterDescriptor_t)(ec_cudnnFilterDescriptor_t *d);
typedef ec_cudnnStatus_t (*ec_cudnnSetFilterNdDescriptor_t)(ec_cudnnFilterDescriptor_t d, int type, int format, int rank, const int *dims);
typedef ec_cudnnStatus_t (*ec_cudnnDestroyFilterDescriptor_t)(ec_cudnnFilterDescriptor_t d);
typedef ec_cudnnStatus_t (*ec_cudnnCreateConvolutionDescriptor_t)(ec_cudnnConvolutionDescriptor_t *d);
typedef ec_cudnnStatus_t (*ec_cudnnSetConvolutionNdDescriptor_t)(ec_cudnnConvolutionDescriptor_t d, int length, const int *pad,
                                                                 const int *stride, const int *dilation, int mode, int computeType);
typedef ec_cudnnStatus_t (*ec_cudnnSetConvolutionGroupCount_t)(ec_cudnnConvolutionDescriptor_t d, int groups);
typedef ec_cudnnStatus_t (*ec_cudnnSetConvolutionMathType_t)(ec_cudnnConvolutionDescriptor_t d, int mathType);
typedef ec_cudnnStatus_t (*ec_cudnnDestroyConvolutionDescriptor_t)(ec_cudnnConvolutionDescriptor_t d);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionForwardAlgorithm_v7_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t x, ec_cudnnFilterDescriptor_t w,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t y, int requested, int *returned, ec_cudnnAlgoPerf *perf);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionBackwardDataAlgorithm_v7_t)(ec_cudnnHandle_t h, ec_cudnnFilterDescriptor_t w, ec_cudnnTensorDescriptor_t dy,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t dx, int requested, int *returned, ec_cudnnAlgoPerf *perf);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionBackwardFilterAlgorithm_v7_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t x, ec_cudnnTensorDescriptor_t dy,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnFilterDescriptor_t dw, int requested, int *returned, ec_cudnnAlgoPerf *perf);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionForwardWorkspaceSize_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t x, ec_cudnnFilterDescriptor_t w,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t y, int algo, size_t *bytes);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionBackwardDataWorkspaceSize_t)(ec_cudnnHandle_t h, ec_cudnnFilterDescriptor_t w, ec_cudnnTensorDescriptor_t dy,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t dx, int algo, size_t *bytes);
typedef ec_cudnnStatus_t (*ec_cudnnGetConvolutionBackwardFilterWorkspaceSize_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t x, ec_cudnnTensorDescriptor_t dy,
    ec_cudnnConvolutionDescriptor_t c, ec_cudnnFilterDescriptor_t dw, int algo, size_t *bytes);
typedef ec_cudnnStatus_t (*ec_cudnnConvolutionForward_t)(ec_cudnnHandle_t h, const void *alpha, ec_cudnnTensorDescriptor_t xd, const void *x,
    ec_cudnnFilterDescriptor_t wd, const void *w, ec_cudnnConvolutionDescriptor_t c, int algo, void *ws, size_t wsBytes,
    const void *beta, ec_cudnnTensorDescriptor_t yd, void *y);
typedef ec_cudnnStatus_t (*ec_cudnnConvolutionBackwardData_t)(ec_cudnnHandle_t h, const void *alpha, ec_cudnnFilterDescriptor_t wd, const void *w,
    ec_cudnnTensorDescriptor_t dyd, const void *dy, ec_cudnnConvolutionDescriptor_t c, int algo, void *ws, size_t wsBytes,
    const void *beta, ec_cudnnTensorDescriptor_t dxd, void *dx);
typedef ec_cudnnStatus_t (*ec_cudnnConvolutionBackwardFilter_t)(ec_cudnnHandle_t h, const void *alpha, ec_cudnnTensorDescriptor_t xd, const void *x,
    ec_cudnnTensorDescriptor_t dyd, const void *dy, ec_cudnnConvolutionDescriptor_t c, int algo, void *ws, size_t wsBytes,
    const void *beta, ec_cudnnFilterDescriptor_t dwd, void *dw);
/* Measured choice (cudnnFind*AlgorithmEx): every algorithm run once in the caller's workspace. */
typedef ec_cudnnStatus_t (*ec_cudnnFindConvolutionForwardAlgorithmEx_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t xd, const void *x,
    ec_cudnnFilterDescriptor_t wd, const void *w, ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t yd, void *y, int requested,
    int *returned, ec_cudnnAlgoPerf *perf, void *ws, size_t wsBytes);
typedef ec_cudnnStatus_t (*ec_cudnnFindConvolutionBackwardDataAlgorithmEx_t)(ec_cudnnHandle_t h, ec_cudnnFilterDescriptor_t wd, const void *w,
    ec_cudnnTensorDescriptor_t dyd, const void *dy, ec_cudnnConvolutionDescriptor_t c, ec_cudnnTensorDescriptor_t dxd, void *dx, int requested,
    int *returned, ec_cudnnAlgoPerf *perf, void *ws, size_t wsBytes);
typedef ec_cudnnStatus_t (*ec_cudnnFindConvolutionBackwardFilterAlgorithmEx_t)(ec_cudnnHandle_t h, ec_cudnnTensorDescriptor_t xd, const void *x,
    ec_cudnnTensorDescriptor_t dyd, const void *dy, ec_cudnnConvolutionDescriptor_t c, ec_cudnnFilterDescriptor_t dwd, void *dw, int requested,
    int *returned, ec_cudnnAlgoPerf *perf, void *ws, size_t wsBytes);
/* Channels-last descriptors and the fused forward (fused.c, version 4 of the C API). */
typedef void *ec_cudnnActivationDescriptor_t;
enum {
  EC_CUDNN_TENSOR_NHWC = 1,
  EC_CUDNN_ACTIVATION_RELU = 1,
  EC_CUDNN_ACTIVATION_IDENTITY = 5,
  EC_CUDNN_NOT_PROPAGATE_NAN = 0,
  EC_CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1
};
typedef ec_cudnnStatus_t (*ec_cudnnCreateActivationDescriptor_t)(ec_cudnnActivationDescriptor_t *d);
typedef ec_cudnnStatus_t (*ec_cudnnSetActivationDescriptor_t)(ec_cudnnActivationDescriptor_t d, int mode, int reluNanOpt, double coef);
typedef ec_cudnnStatus_t (*ec_cudnnDestroyActivationDescriptor_t)(ec_cudnnActivationDescriptor_t d);
typedef ec_cudnnStatus_t (*ec_cudnnConvolutionBiasActivationForward_t)(ec_cudnnHandle_t h, const void *alpha1, ec_cudnnTensorDescriptor_t xd,
    const void *x, ec_cudnnFilterDescriptor_t wd, const void *w, ec_cudnnConvolutionDescriptor_t c, int algo, void *ws, size_t wsBytes,
    const void *alpha2, ec_cudnnTensorDescriptor_t zd, const void *z, ec_cudnnTensorDescriptor_t biasd, const void *bias,
    ec_cudnnActivationDescriptor_t act, ec_cudnnTensorDescriptor_t yd, void *y);

/* ---- NVRTC ---- */
typedef int ec_nvrtcResult;
typedef void *ec_nvrtcProgram;
enum { EC_NVRTC_SUCCESS = 0 };
typedef ec_nvrtcResult (*ec_nvrtcVersion_t)(int *major, int *minor);
typedef ec_nvrtcResult (*ec_nvrtcCreateProgram_t)(ec_nvrtcProgram *p, const char *src, const char *name, int numHeaders,
                                                 const char *const *headers, const char *const *includeNames);
typedef ec_nvrtcResult (*ec_nvrtcCompileProgram_t)(ec_nvrtcProgram p, int numOptions, const char *const *options);
typedef ec_nvrtcResult (*ec_nvrtcGetProgramLogSize_t)(ec_nvrtcProgram p, size_t *size);
typedef ec_nvrtcResult (*ec_nvrtcGetProgramLog_t)(ec_nvrtcProgram p, char *log);
typedef ec_nvrtcResult (*ec_nvrtcGetCUBINSize_t)(ec_nvrtcProgram p, size_t *size);
typedef ec_nvrtcResult (*ec_nvrtcGetCUBIN_t)(ec_nvrtcProgram p, char *cubin);
typedef ec_nvrtcResult (*ec_nvrtcDestroyProgram_t)(ec_nvrtcProgram *p);
typedef const char *(*ec_nvrtcGetErrorString_t)(ec_nvrtcResult result);

#endif
