/* The shim's state, errors, device set-up, memory and copies. */
#include "shim.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL __thread
#endif

ecud_state ecud_g;
static THREAD_LOCAL char last_error[4096];
static THREAD_LOCAL int thread_bound = -1; /* the device this thread made current, or -1 */

int ecud_version(void) { return ECUD_API_VERSION; }

const char *ecud_last_error(void) { return last_error; }

int ecud_fail(int status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

int ecud_check_cuda(ec_cudaError_t error, const char *call) {
  if (error == EC_cudaSuccess) return ECUD_OK;
  const char *text = ecud_g.rt.cudaGetErrorString ? ecud_g.rt.cudaGetErrorString(error) : "?";
  int status = error == EC_cudaErrorMemoryAllocation ? ECUD_ERROR_MEMORY
               : (error == EC_cudaErrorNoDevice || error == EC_cudaErrorInsufficientDriver) ? ECUD_ERROR_NO_DEVICE
                                                                                             : ECUD_ERROR_CUDA;
  return ecud_fail(status, "CUDA runtime: %s failed with error %d (%s)", call, error, text);
}

int ecud_check_driver(ec_CUresult error, const char *call) {
  if (error == EC_CUDA_SUCCESS) return ECUD_OK;
  const char *text = "?";
  if (ecud_g.drv.cuGetErrorString) ecud_g.drv.cuGetErrorString(error, &text);
  return ecud_fail(error == 2 ? ECUD_ERROR_MEMORY : ECUD_ERROR_CUDA, "CUDA driver: %s failed with error %d (%s)", call, error,
                   text ? text : "?");
}

int ecud_check_cublas(ec_cublasStatus_t status, const char *call) {
  if (status == EC_CUBLAS_STATUS_SUCCESS) return ECUD_OK;
  return ecud_fail(status == 3 ? ECUD_ERROR_MEMORY : ECUD_ERROR_CUBLAS, "cuBLAS: %s failed with status %d", call, status);
}

int ecud_check_cudnn(ec_cudnnStatus_t status, const char *call) {
  if (status == EC_CUDNN_STATUS_SUCCESS) return ECUD_OK;
  const char *text = ecud_g.dnn.cudnnGetErrorString ? ecud_g.dnn.cudnnGetErrorString(status) : "?";
  return ecud_fail(status == 4003 ? ECUD_ERROR_MEMORY : ECUD_ERROR_CUDNN, "cuDNN: %s failed with status %d (%s)", call, status, text);
}

int ecud_require_init(void) {
  if (!ecud_g.initialised) return ecud_fail(ECUD_ERROR_STATE, "the shim is not initialised (call ecud_init first)");
  return ecud_bind_thread();
}

int ecud_bind_thread(void) {
  if (thread_bound == ecud_g.device) return ECUD_OK;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaSetDevice(ecud_g.device), "cudaSetDevice"));
  thread_bound = ecud_g.device;
  return ECUD_OK;
}

int ecud_load(const char *search_path, char *description, int capacity) {
  int status = ecud_load_libraries(search_path);
  if (description && capacity > 0) {
    snprintf(description, (size_t)capacity, "%s", status == ECUD_OK ? ecud_g.library_report : last_error);
  }
  return status;
}

int ecud_init(int device, int strict, const char *kernel_cache) {
  if (ecud_g.initialised) {
    if (device != ecud_g.device) return ecud_fail(ECUD_ERROR_ARGUMENT, "already initialised on device %d, asked for %d", ecud_g.device, device);
    ecud_g.strict = strict != 0;
    return ECUD_OK;
  }
  if (!ecud_g.loaded) ECUD_TRY(ecud_load_libraries(NULL));
  ECUD_TRY(ecud_check_driver(ecud_g.drv.cuInit(0), "cuInit"));
  int count = 0;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaGetDeviceCount(&count), "cudaGetDeviceCount"));
  if (count <= 0) return ecud_fail(ECUD_ERROR_NO_DEVICE, "no CUDA device is present");
  if (device < 0 || device >= count) return ecud_fail(ECUD_ERROR_ARGUMENT, "device %d does not exist (%d present)", device, count);
  ecud_g.device = device;
  thread_bound = -1;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaSetDevice(device), "cudaSetDevice"));
  thread_bound = device;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaDeviceGetAttribute(&ecud_g.cc_major, EC_cudaDevAttrComputeCapabilityMajor, device), "cudaDeviceGetAttribute"));
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaDeviceGetAttribute(&ecud_g.cc_minor, EC_cudaDevAttrComputeCapabilityMinor, device), "cudaDeviceGetAttribute"));
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamCreateWithFlags(&ecud_g.stream, EC_cudaStreamNonBlocking), "cudaStreamCreateWithFlags"));
  ECUD_TRY(ecud_check_cublas(ecud_g.blas.cublasCreate(&ecud_g.cublas), "cublasCreate"));
  ECUD_TRY(ecud_check_cublas(ecud_g.blas.cublasSetStream(ecud_g.cublas, ecud_g.stream), "cublasSetStream"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreate(&ecud_g.cudnn), "cudnnCreate"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetStream(ecud_g.cudnn, ecud_g.stream), "cudnnSetStream"));
  snprintf(ecud_g.kernel_cache, sizeof ecud_g.kernel_cache, "%s", kernel_cache ? kernel_cache : "");
  ecud_g.initialised = 1;
  return ecud_set_strict(strict);
}

int ecud_set_strict(int strict) { return ecud_set_precision(strict ? ECUD_PRECISION_STRICT : ECUD_PRECISION_TF32); }

int ecud_set_precision(int precision) {
  ECUD_TRY(ecud_require_init());
  if (precision < ECUD_PRECISION_TF32 || precision > ECUD_PRECISION_FP16) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_set_precision: mode %d", precision);
  ecud_g.precision = precision;
  ecud_g.strict = precision == ECUD_PRECISION_STRICT;
  /* Strict: plain float32 FMA (no TF32 tensor cores); TF32 where the GPU has it; bf16/fp16 GEMMs go
   * through cublasGemmEx, whose 16-bit inputs take the tensor cores under the default math. */
  int mode = ecud_g.strict ? EC_CUBLAS_PEDANTIC_MATH : precision == ECUD_PRECISION_TF32 ? EC_CUBLAS_TF32_TENSOR_OP_MATH : EC_CUBLAS_DEFAULT_MATH;
  return ecud_check_cublas(ecud_g.blas.cublasSetMathMode(ecud_g.cublas, mode), "cublasSetMathMode");
}

void ecud_shutdown(void) {
  if (!ecud_g.initialised) return;
  if (ecud_bind_thread() != ECUD_OK) return;
  ecud_g.rt.cudaStreamSynchronize(ecud_g.stream);
  ecud_kernels_release();
  ecud_convolution_release();
  ecud_staging_release();
  ecud_half_release();
  if (ecud_g.workspace) ecud_g.rt.cudaFree(ecud_g.workspace);
  ecud_g.workspace = NULL;
  ecud_g.workspace_bytes = 0;
  ecud_g.live_graphs = 0; /* graphs left undestroyed go with the context */
  ecud_free_retired();
  free(ecud_g.retired);
  ecud_g.retired = NULL;
  ecud_g.retired_capacity = 0;
  ecud_g.dnn.cudnnDestroy(ecud_g.cudnn);
  ecud_g.blas.cublasDestroy(ecud_g.cublas);
  ecud_g.rt.cudaStreamDestroy(ecud_g.stream);
  ecud_g.initialised = 0;
}

int ecud_describe(char *description, int capacity) {
  ECUD_TRY(ecud_require_init());
  int runtime = 0, driver = 0, rtc_major = 0, rtc_minor = 0, blas = 0, sms = 0;
  ecud_g.rt.cudaRuntimeGetVersion(&runtime);
  ecud_g.rt.cudaDriverGetVersion(&driver);
  ecud_g.rtc.nvrtcVersion(&rtc_major, &rtc_minor);
  ecud_g.blas.cublasGetVersion(ecud_g.cublas, &blas);
  ecud_g.rt.cudaDeviceGetAttribute(&sms, EC_cudaDevAttrMultiProcessorCount, ecud_g.device);
  size_t free_bytes = 0, total_bytes = 0;
  ecud_g.rt.cudaMemGetInfo(&free_bytes, &total_bytes);
  snprintf(description, (size_t)capacity,
           "device %d: compute capability %d.%d, %d SMs, %.1f GiB; CUDA runtime %d.%d, driver %d.%d, cuBLAS %d, cuDNN %zu, NVRTC %d.%d",
           ecud_g.device, ecud_g.cc_major, ecud_g.cc_minor, sms, (double)total_bytes / (1024.0 * 1024.0 * 1024.0),
           runtime / 1000, (runtime % 1000) / 10, driver / 1000, (driver % 1000) / 10, blas, ecud_g.dnn.cudnnGetVersion(),
           rtc_major, rtc_minor);
  return ECUD_OK;
}

int ecud_malloc(void **pointer, size_t bytes) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_malloc (cudaMalloc)"));
  *pointer = NULL;
  int status = ecud_check_cuda(ecud_g.rt.cudaMalloc(pointer, bytes ? bytes : 1), "cudaMalloc");
  if (status != ECUD_OK) {
    ecud_g.rt.cudaGetLastError(); /* clear the sticky-free allocation error */
    char reason[sizeof last_error];
    snprintf(reason, sizeof reason, "%s", last_error);
    return ecud_fail(status, "%.3000s for %zu bytes", reason, bytes);
  }
  return ECUD_OK;
}

int ecud_free(void *pointer) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_free (cudaFree)"));
  return ecud_check_cuda(ecud_g.rt.cudaFree(pointer), "cudaFree");
}

int ecud_memory_info(size_t *free_bytes, size_t *total_bytes) {
  ECUD_TRY(ecud_require_init());
  return ecud_check_cuda(ecud_g.rt.cudaMemGetInfo(free_bytes, total_bytes), "cudaMemGetInfo");
}

int ecud_copy_to_device(void *destination, const void *source, size_t bytes) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_copy_to_device (a copy from host memory)"));
  if (!bytes) return ECUD_OK;
  /* From pageable memory the call returns once the source has been staged, so the caller may
   * reuse its buffer at once. */
  return ecud_check_cuda(ecud_g.rt.cudaMemcpyAsync(destination, source, bytes, EC_cudaMemcpyHostToDevice, ecud_g.stream),
                         "cudaMemcpyAsync(host to device)");
}

int ecud_copy_to_host(void *destination, const void *source, size_t bytes) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_copy_to_host (a copy to host memory)"));
  if (!bytes) return ECUD_OK;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaMemcpyAsync(destination, source, bytes, EC_cudaMemcpyDeviceToHost, ecud_g.stream),
                           "cudaMemcpyAsync(device to host)"));
  return ecud_check_cuda(ecud_g.rt.cudaStreamSynchronize(ecud_g.stream), "cudaStreamSynchronize");
}

int ecud_copy_on_device(void *destination, const void *source, size_t bytes) {
  ECUD_TRY(ecud_require_init());
  if (!bytes || destination == source) return ECUD_OK;
  return ecud_check_cuda(ecud_g.rt.cudaMemcpyAsync(destination, source, bytes, EC_cudaMemcpyDeviceToDevice, ecud_g.stream),
                         "cudaMemcpyAsync(device to device)");
}

int ecud_memset(void *destination, int value, size_t bytes) {
  ECUD_TRY(ecud_require_init());
  if (!bytes) return ECUD_OK;
  return ecud_check_cuda(ecud_g.rt.cudaMemsetAsync(destination, value, bytes, ecud_g.stream), "cudaMemsetAsync");
}

int ecud_synchronize(void) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_synchronize (cudaStreamSynchronize)"));
  return ecud_check_cuda(ecud_g.rt.cudaStreamSynchronize(ecud_g.stream), "cudaStreamSynchronize");
}

int ecud_gemm(int data_type, int transpose_a, int transpose_b, int m, int n, int k, double alpha, const void *a, const void *b,
              double beta, void *c) {
  ECUD_TRY(ecud_require_init());
  if (m == 0 || n == 0) return ECUD_OK;
  /* Row-major C (m×n) is column-major Cᵀ (n×m) = op(B)ᵀ op(A)ᵀ: swap the operands. */
  int op_a = transpose_a ? EC_CUBLAS_OP_T : EC_CUBLAS_OP_N;
  int op_b = transpose_b ? EC_CUBLAS_OP_T : EC_CUBLAS_OP_N;
  int lda = transpose_a ? m : k; /* A is m×k, or k×m when transposed */
  int ldb = transpose_b ? k : n; /* B is k×n, or n×k when transposed */
  if (lda < 1) lda = 1;          /* k = 0: cuBLAS then computes C = beta C, but checks lda ≥ 1 */
  if (ldb < 1) ldb = 1;
  if (data_type == ECUD_FLOAT32 && ecud_half_precision()) return ecud_gemm_half(op_a, op_b, m, n, k, alpha, a, lda, b, ldb, beta, c);
  if (data_type == ECUD_FLOAT32) {
    float fa = (float)alpha, fb = (float)beta;
    return ecud_check_cublas(ecud_g.blas.cublasSgemm(ecud_g.cublas, op_b, op_a, n, m, k, &fa, (const float *)b, ldb,
                                                     (const float *)a, lda, &fb, (float *)c, n),
                             "cublasSgemm");
  }
  if (data_type == ECUD_FLOAT64) {
    return ecud_check_cublas(ecud_g.blas.cublasDgemm(ecud_g.cublas, op_b, op_a, n, m, k, &alpha, (const double *)b, ldb,
                                                     (const double *)a, lda, &beta, (double *)c, n),
                             "cublasDgemm");
  }
  return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_gemm: data type %d is not float32 or float64", data_type);
}

int ecud_grow_device_buffer(void **buffer, size_t *capacity, size_t bytes, const char *what) {
  if (bytes <= *capacity) return ECUD_OK;
  ECUD_TRY(ecud_refuse_in_capture(what));
  /* Growing frees the old block: wait until no queued work uses it. A captured graph still holds
   * its address, though, and would run its kernels on freed memory at its next replay (GPU run 5:
   * error 719 once the bench's inference outgrew the workspace): while a graph exists the block is
   * retired instead, and freed with the last graph (ecud_free_retired). */
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamSynchronize(ecud_g.stream), "cudaStreamSynchronize"));
  if (*buffer && ecud_g.live_graphs > 0 && ecud_g.retired_count == ecud_g.retired_capacity) {
    int capacity = ecud_g.retired_capacity ? 2 * ecud_g.retired_capacity : 8;
    void **grown = (void **)realloc(ecud_g.retired, (size_t)capacity * sizeof *grown);
    if (!grown) return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory");
    ecud_g.retired = grown;
    ecud_g.retired_capacity = capacity;
  }
  if (*buffer && ecud_g.live_graphs > 0)
    ecud_g.retired[ecud_g.retired_count++] = *buffer;
  else if (*buffer)
    ecud_g.rt.cudaFree(*buffer);
  *buffer = NULL;
  *capacity = 0;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaMalloc(buffer, bytes), what));
  *capacity = bytes;
  return ECUD_OK;
}

void ecud_free_retired(void) {
  if (ecud_g.live_graphs > 0) return;
  for (int i = 0; i < ecud_g.retired_count; i++) ecud_g.rt.cudaFree(ecud_g.retired[i]);
  ecud_g.retired_count = 0;
}
