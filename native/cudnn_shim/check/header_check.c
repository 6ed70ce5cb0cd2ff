/* Compiled on a machine with CUDA and cuDNN headers (benchmarks/gpu/run_cudnn_checks.sh does it):
 * asserts that the values and layouts src/cuda_decls.h writes out by hand agree with the real
 * headers. A mismatch is a compile error naming the declaration. Prototypes are checked by the GPU
 * run itself (every entry point is called by the conformance kit); their argument types are the
 * headers' with enums as int and handles as void *, which the C ABI passes identically. */
#include <cublas_v2.h>
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <nvrtc.h>
#include <stddef.h>
#include <stdio.h>

#include "cuda_decls.h"

#define SAME(mine, theirs) _Static_assert((long long)(mine) == (long long)(theirs), #mine " differs from " #theirs)

SAME(EC_cudaSuccess, cudaSuccess);
SAME(EC_cudaErrorMemoryAllocation, cudaErrorMemoryAllocation);
SAME(EC_cudaErrorInsufficientDriver, cudaErrorInsufficientDriver);
SAME(EC_cudaErrorNoDevice, cudaErrorNoDevice);
SAME(EC_cudaMemcpyHostToDevice, cudaMemcpyHostToDevice);
SAME(EC_cudaMemcpyDeviceToHost, cudaMemcpyDeviceToHost);
SAME(EC_cudaMemcpyDeviceToDevice, cudaMemcpyDeviceToDevice);
SAME(EC_cudaStreamNonBlocking, cudaStreamNonBlocking);
SAME(EC_cudaDevAttrMultiProcessorCount, cudaDevAttrMultiProcessorCount);
SAME(EC_cudaDevAttrComputeCapabilityMajor, cudaDevAttrComputeCapabilityMajor);
SAME(EC_cudaDevAttrComputeCapabilityMinor, cudaDevAttrComputeCapabilityMinor);
SAME(EC_cudaErrorStreamCaptureUnsupported, cudaErrorStreamCaptureUnsupported);
SAME(EC_cudaErrorStreamCaptureInvalidated, cudaErrorStreamCaptureInvalidated);
SAME(EC_cudaErrorStreamCaptureWrongThread, cudaErrorStreamCaptureWrongThread);
SAME(EC_cudaStreamCaptureModeGlobal, cudaStreamCaptureModeGlobal);
SAME(EC_cudaStreamCaptureModeThreadLocal, cudaStreamCaptureModeThreadLocal);
SAME(EC_cudaStreamCaptureModeRelaxed, cudaStreamCaptureModeRelaxed);
SAME(EC_cudaStreamCaptureStatusNone, cudaStreamCaptureStatusNone);
SAME(EC_cudaStreamCaptureStatusActive, cudaStreamCaptureStatusActive);
SAME(EC_cudaStreamCaptureStatusInvalidated, cudaStreamCaptureStatusInvalidated);
_Static_assert(sizeof(cudaGraph_t) == sizeof(ec_cudaGraph_t), "cudaGraph_t size");
_Static_assert(sizeof(cudaGraphExec_t) == sizeof(ec_cudaGraphExec_t), "cudaGraphExec_t size");
_Static_assert(sizeof(enum cudaStreamCaptureMode) == sizeof(int), "cudaStreamCaptureMode size");
_Static_assert(sizeof(enum cudaStreamCaptureStatus) == sizeof(int), "cudaStreamCaptureStatus size");
/* The graph prototypes, parameter for parameter (the shim declares handles as void * and enums as
 * int, which the C ABI passes alike): a changed
 * signature (cudaGraphInstantiate's CUDA 11 form, say) fails to compile here. */
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaStreamBeginCapture), cudaError_t (*)(cudaStream_t, enum cudaStreamCaptureMode)), "cudaStreamBeginCapture prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaStreamEndCapture), cudaError_t (*)(cudaStream_t, cudaGraph_t *)), "cudaStreamEndCapture prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaStreamIsCapturing), cudaError_t (*)(cudaStream_t, enum cudaStreamCaptureStatus *)), "cudaStreamIsCapturing prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaGraphInstantiate), cudaError_t (*)(cudaGraphExec_t *, cudaGraph_t, unsigned long long)), "cudaGraphInstantiate prototype (CUDA 12+ form)");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaGraphLaunch), cudaError_t (*)(cudaGraphExec_t, cudaStream_t)), "cudaGraphLaunch prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaGraphExecDestroy), cudaError_t (*)(cudaGraphExec_t)), "cudaGraphExecDestroy prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaGraphDestroy), cudaError_t (*)(cudaGraph_t)), "cudaGraphDestroy prototype");
/* Pinned staging, the copy stream's events and step timing (ECUD_API_VERSION 3). */
SAME(EC_cudaHostAllocDefault, cudaHostAllocDefault);
SAME(EC_cudaEventDefault, cudaEventDefault);
SAME(EC_cudaEventDisableTiming, cudaEventDisableTiming);
_Static_assert(sizeof(cudaEvent_t) == sizeof(ec_cudaEvent_t), "cudaEvent_t size");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaHostAlloc), cudaError_t (*)(void **, size_t, unsigned int)), "cudaHostAlloc prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaFreeHost), cudaError_t (*)(void *)), "cudaFreeHost prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaEventCreateWithFlags), cudaError_t (*)(cudaEvent_t *, unsigned int)), "cudaEventCreateWithFlags prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaEventDestroy), cudaError_t (*)(cudaEvent_t)), "cudaEventDestroy prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaEventRecord), cudaError_t (*)(cudaEvent_t, cudaStream_t)), "cudaEventRecord prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaEventSynchronize), cudaError_t (*)(cudaEvent_t)), "cudaEventSynchronize prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaEventElapsedTime), cudaError_t (*)(float *, cudaEvent_t, cudaEvent_t)), "cudaEventElapsedTime prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudaStreamWaitEvent), cudaError_t (*)(cudaStream_t, cudaEvent_t, unsigned int)), "cudaStreamWaitEvent prototype");
_Static_assert(sizeof(cudaError_t) == sizeof(ec_cudaError_t), "cudaError_t size");
_Static_assert(sizeof(cudaStream_t) == sizeof(ec_cudaStream_t), "cudaStream_t size");

SAME(EC_CUDA_SUCCESS, CUDA_SUCCESS);
_Static_assert(sizeof(CUresult) == sizeof(ec_CUresult), "CUresult size");
_Static_assert(sizeof(CUstream) == sizeof(ec_cudaStream_t), "CUstream size");
_Static_assert(sizeof(CUfunction) == sizeof(ec_CUfunction), "CUfunction size");

SAME(EC_CUBLAS_STATUS_SUCCESS, CUBLAS_STATUS_SUCCESS);
SAME(EC_CUBLAS_OP_N, CUBLAS_OP_N);
SAME(EC_CUBLAS_OP_T, CUBLAS_OP_T);
SAME(EC_CUBLAS_DEFAULT_MATH, CUBLAS_DEFAULT_MATH);
SAME(EC_CUBLAS_PEDANTIC_MATH, CUBLAS_PEDANTIC_MATH);
SAME(EC_CUBLAS_TF32_TENSOR_OP_MATH, CUBLAS_TF32_TENSOR_OP_MATH);
SAME(EC_CUBLAS_COMPUTE_32F, CUBLAS_COMPUTE_32F);
SAME(EC_CUBLAS_GEMM_DEFAULT, CUBLAS_GEMM_DEFAULT);
SAME(EC_CUDA_R_32F, CUDA_R_32F);
SAME(EC_CUDA_R_16F, CUDA_R_16F);
SAME(EC_CUDA_R_16BF, CUDA_R_16BF);
_Static_assert(sizeof(cublasStatus_t) == sizeof(ec_cublasStatus_t), "cublasStatus_t size");
_Static_assert(sizeof(cublasOperation_t) == sizeof(int), "cublasOperation_t size");

SAME(EC_NVRTC_SUCCESS, NVRTC_SUCCESS);
_Static_assert(sizeof(nvrtcResult) == sizeof(ec_nvrtcResult), "nvrtcResult size");

#if defined(__has_include)
#if __has_include(<cudnn.h>)
#include <cudnn.h>
#define ECUD_HAVE_CUDNN 1
#endif
#endif

#ifdef ECUD_HAVE_CUDNN
SAME(EC_CUDNN_STATUS_SUCCESS, CUDNN_STATUS_SUCCESS);
SAME(EC_CUDNN_DATA_FLOAT, CUDNN_DATA_FLOAT);
SAME(EC_CUDNN_DATA_DOUBLE, CUDNN_DATA_DOUBLE);
SAME(EC_CUDNN_TENSOR_NCHW, CUDNN_TENSOR_NCHW);
SAME(EC_CUDNN_CROSS_CORRELATION, CUDNN_CROSS_CORRELATION);
SAME(EC_CUDNN_DEFAULT_MATH, CUDNN_DEFAULT_MATH);
SAME(EC_CUDNN_TENSOR_OP_MATH, CUDNN_TENSOR_OP_MATH);
SAME(EC_CUDNN_FMA_MATH, CUDNN_FMA_MATH);
SAME(EC_CUDNN_DATA_HALF, CUDNN_DATA_HALF);
SAME(EC_CUDNN_DATA_BFLOAT16, CUDNN_DATA_BFLOAT16);
SAME(EC_CUDNN_NON_DETERMINISTIC, CUDNN_NON_DETERMINISTIC);
SAME(EC_CUDNN_DETERMINISTIC, CUDNN_DETERMINISTIC);
_Static_assert(sizeof(cudnnStatus_t) == sizeof(ec_cudnnStatus_t), "cudnnStatus_t size");
#define SAME_LAYOUT(theirs)                                                                                  \
  _Static_assert(sizeof(theirs) == sizeof(ec_cudnnAlgoPerf), #theirs " size");                              \
  _Static_assert(offsetof(theirs, algo) == offsetof(ec_cudnnAlgoPerf, algo), #theirs ".algo");              \
  _Static_assert(offsetof(theirs, status) == offsetof(ec_cudnnAlgoPerf, status), #theirs ".status");        \
  _Static_assert(offsetof(theirs, time) == offsetof(ec_cudnnAlgoPerf, time), #theirs ".time");              \
  _Static_assert(offsetof(theirs, memory) == offsetof(ec_cudnnAlgoPerf, memory), #theirs ".memory");        \
  _Static_assert(offsetof(theirs, determinism) == offsetof(ec_cudnnAlgoPerf, determinism), #theirs ".determinism"); \
  _Static_assert(offsetof(theirs, mathType) == offsetof(ec_cudnnAlgoPerf, mathType), #theirs ".mathType")
SAME_LAYOUT(cudnnConvolutionFwdAlgoPerf_t);
SAME_LAYOUT(cudnnConvolutionBwdDataAlgoPerf_t);
SAME_LAYOUT(cudnnConvolutionBwdFilterAlgoPerf_t);
/* The measured-choice prototypes (ECUD_API_VERSION 3), parameter for parameter. */
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnFindConvolutionForwardAlgorithmEx),
                                           cudnnStatus_t (*)(cudnnHandle_t, const cudnnTensorDescriptor_t, const void *, const cudnnFilterDescriptor_t,
                                                             const void *, const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, void *,
                                                             const int, int *, cudnnConvolutionFwdAlgoPerf_t *, void *, size_t)),
               "cudnnFindConvolutionForwardAlgorithmEx prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnFindConvolutionBackwardDataAlgorithmEx),
                                           cudnnStatus_t (*)(cudnnHandle_t, const cudnnFilterDescriptor_t, const void *, const cudnnTensorDescriptor_t,
                                                             const void *, const cudnnConvolutionDescriptor_t, const cudnnTensorDescriptor_t, void *,
                                                             const int, int *, cudnnConvolutionBwdDataAlgoPerf_t *, void *, size_t)),
               "cudnnFindConvolutionBackwardDataAlgorithmEx prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnFindConvolutionBackwardFilterAlgorithmEx),
                                           cudnnStatus_t (*)(cudnnHandle_t, const cudnnTensorDescriptor_t, const void *, const cudnnTensorDescriptor_t,
                                                             const void *, const cudnnConvolutionDescriptor_t, const cudnnFilterDescriptor_t, void *,
                                                             const int, int *, cudnnConvolutionBwdFilterAlgoPerf_t *, void *, size_t)),
               "cudnnFindConvolutionBackwardFilterAlgorithmEx prototype");
/* The fake candidates of the emulator use these algorithm numbers. */
SAME(0, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM);
SAME(1, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
SAME(2, CUDNN_CONVOLUTION_FWD_ALGO_GEMM);
SAME(4, CUDNN_CONVOLUTION_FWD_ALGO_FFT);
SAME(6, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD);
SAME(0, CUDNN_CONVOLUTION_BWD_DATA_ALGO_0);
SAME(1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1);
SAME(3, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING);
SAME(0, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0);
SAME(1, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1);
SAME(3, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3);
SAME(6, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING);
/* Channels-last descriptors and the fused forward (ECUD_API_VERSION 4, src/fused.c). */
SAME(EC_CUDNN_TENSOR_NHWC, CUDNN_TENSOR_NHWC);
SAME(EC_CUDNN_ACTIVATION_RELU, CUDNN_ACTIVATION_RELU);
SAME(EC_CUDNN_ACTIVATION_IDENTITY, CUDNN_ACTIVATION_IDENTITY);
SAME(EC_CUDNN_NOT_PROPAGATE_NAN, CUDNN_NOT_PROPAGATE_NAN);
SAME(EC_CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM);
_Static_assert(sizeof(cudnnActivationDescriptor_t) == sizeof(ec_cudnnActivationDescriptor_t), "cudnnActivationDescriptor_t size");
_Static_assert(sizeof(cudnnActivationMode_t) == sizeof(int), "cudnnActivationMode_t size");
_Static_assert(sizeof(cudnnNanPropagation_t) == sizeof(int), "cudnnNanPropagation_t size");
_Static_assert(sizeof(cudnnConvolutionFwdAlgo_t) == sizeof(int), "cudnnConvolutionFwdAlgo_t size");
_Static_assert(sizeof(cudnnTensorFormat_t) == sizeof(int), "cudnnTensorFormat_t size");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnCreateActivationDescriptor), cudnnStatus_t (*)(cudnnActivationDescriptor_t *)),
               "cudnnCreateActivationDescriptor prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnSetActivationDescriptor),
                                           cudnnStatus_t (*)(cudnnActivationDescriptor_t, cudnnActivationMode_t, cudnnNanPropagation_t, double)),
               "cudnnSetActivationDescriptor prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnDestroyActivationDescriptor), cudnnStatus_t (*)(cudnnActivationDescriptor_t)),
               "cudnnDestroyActivationDescriptor prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnConvolutionBiasActivationForward),
                                           cudnnStatus_t (*)(cudnnHandle_t, const void *, const cudnnTensorDescriptor_t, const void *,
                                                             const cudnnFilterDescriptor_t, const void *, const cudnnConvolutionDescriptor_t,
                                                             cudnnConvolutionFwdAlgo_t, void *, size_t, const void *, const cudnnTensorDescriptor_t,
                                                             const void *, const cudnnTensorDescriptor_t, const void *,
                                                             const cudnnActivationDescriptor_t, const cudnnTensorDescriptor_t, void *)),
               "cudnnConvolutionBiasActivationForward prototype");
/* The filter format argument of cudnnSetFilterNdDescriptor, which the NHWC layout sets. */
_Static_assert(__builtin_types_compatible_p(__typeof__(&cudnnSetFilterNdDescriptor),
                                           cudnnStatus_t (*)(cudnnFilterDescriptor_t, cudnnDataType_t, cudnnTensorFormat_t, int, const int[])),
               "cudnnSetFilterNdDescriptor prototype");
#endif

/* NCCL (src/nccl_decls.h; nccl.h lives in PyTorch's wheel, nvidia/nccl/include, on the GPU machine). */
#if defined(__has_include)
#if __has_include(<nccl.h>)
#include <nccl.h>
#define ECUD_HAVE_NCCL 1
#endif
#endif

#ifdef ECUD_HAVE_NCCL
#include "ecud.h" /* ECUD_NCCL_ID_BYTES, the id size the shim's callers allocate */
#include "nccl_decls.h"
SAME(EC_ncclSuccess, ncclSuccess);
SAME(EC_ncclInProgress, ncclInProgress);
SAME(EC_ncclFloat32, ncclFloat32);
SAME(EC_ncclSum, ncclSum);
SAME(EC_NCCL_UNIQUE_ID_BYTES, NCCL_UNIQUE_ID_BYTES);
SAME(ECUD_NCCL_ID_BYTES, NCCL_UNIQUE_ID_BYTES);
_Static_assert(sizeof(ncclUniqueId) == sizeof(ec_ncclUniqueId), "ncclUniqueId size (passed by value to ncclCommInitRank)");
_Static_assert(sizeof(ncclResult_t) == sizeof(ec_ncclResult_t), "ncclResult_t size");
_Static_assert(sizeof(ncclDataType_t) == sizeof(int), "ncclDataType_t size");
_Static_assert(sizeof(ncclRedOp_t) == sizeof(int), "ncclRedOp_t size");
_Static_assert(sizeof(ncclComm_t) == sizeof(ec_ncclComm_t), "ncclComm_t size");
/* The prototypes the shim resolves, parameter for parameter. */
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGetVersion), ncclResult_t (*)(int *)), "ncclGetVersion prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGetUniqueId), ncclResult_t (*)(ncclUniqueId *)), "ncclGetUniqueId prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclCommInitRank), ncclResult_t (*)(ncclComm_t *, int, ncclUniqueId, int)), "ncclCommInitRank prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclAllReduce), ncclResult_t (*)(const void *, void *, size_t, ncclDataType_t, ncclRedOp_t, ncclComm_t, cudaStream_t)), "ncclAllReduce prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGroupStart), ncclResult_t (*)(void)), "ncclGroupStart prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGroupEnd), ncclResult_t (*)(void)), "ncclGroupEnd prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclCommDestroy), ncclResult_t (*)(ncclComm_t)), "ncclCommDestroy prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGetErrorString), const char *(*)(ncclResult_t)), "ncclGetErrorString prototype");
_Static_assert(__builtin_types_compatible_p(__typeof__(&ncclGetLastError), const char *(*)(ncclComm_t)), "ncclGetLastError prototype");
#endif

int main(void) {
#ifdef ECUD_HAVE_NCCL
  printf("header check: NCCL %d.%d.%d declarations agree\n", NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH);
#else
  printf("header check: no nccl.h found: NCCL not checked\n");
#endif
#ifdef ECUD_HAVE_CUDNN
  printf("header check: CUDA runtime, driver, cuBLAS, NVRTC and cuDNN %d.%d.%d declarations agree\n", CUDNN_MAJOR, CUDNN_MINOR, CUDNN_PATCHLEVEL);
#else
  printf("header check: CUDA runtime, driver, cuBLAS and NVRTC declarations agree (no cudnn.h found: cuDNN not checked)\n");
#endif
  return 0;
}
