/* --precision bf16 / fp16: float32 GEMMs and convolutions computed from 16-bit copies of their
 * operands with float32 accumulation on tensor cores (cublasGemmEx with CUBLAS_COMPUTE_32F;
 * cuDNN with 16-bit tensors and a float compute type). Tensors stay float32 in memory: the copies
 * live in one staging buffer that grows to the largest call and is then reused, so a steady
 * training step allocates nothing. The casts are kernels/precision.cu, queued on the stream. */
#include "shim.h"

#define CAST_BLOCK 256u
#define CAST_MAX_BLOCKS 65535u

int ecud_half_precision(void) { return ecud_g.precision == ECUD_PRECISION_BF16 || ecud_g.precision == ECUD_PRECISION_FP16; }

int ecud_half_cudnn_type(void) { return ecud_g.precision == ECUD_PRECISION_BF16 ? EC_CUDNN_DATA_BFLOAT16 : EC_CUDNN_DATA_HALF; }

static int cuda_half_type(void) { return ecud_g.precision == ECUD_PRECISION_BF16 ? EC_CUDA_R_16BF : EC_CUDA_R_16F; }

int ecud_half_staging(size_t bytes, void **buffer) {
  ECUD_TRY(ecud_grow_device_buffer(&ecud_g.half_buffer, &ecud_g.half_buffer_bytes, bytes, "cudaMalloc(16-bit staging)"));
  *buffer = ecud_g.half_buffer;
  return ECUD_OK;
}

static int cast(const char *bf16_kernel, const char *fp16_kernel, const void *source, void *destination, size_t count) {
  if (!count) return ECUD_OK;
  void *function = NULL;
  ECUD_TRY(ecud_kernel("precision", ecud_g.precision == ECUD_PRECISION_BF16 ? bf16_kernel : fp16_kernel, &function));
  long long n = (long long)count;
  size_t blocks = (count + CAST_BLOCK - 1) / CAST_BLOCK;
  void *arguments[] = {&n, (void *)&source, &destination, NULL}; /* ended by a null entry, as the plugin's launches */
  return ecud_launch(function, blocks < CAST_MAX_BLOCKS ? (unsigned)blocks : CAST_MAX_BLOCKS, CAST_BLOCK, 0, arguments);
}

int ecud_cast_to_half(const void *source, void *destination, size_t count) { return cast("to_bf16", "to_fp16", source, destination, count); }

int ecud_cast_from_half(const void *source, void *destination, size_t count) {
  return cast("from_bf16", "from_fp16", source, destination, count);
}

int ecud_gemm_half(int op_a, int op_b, int m, int n, int k, double alpha, const void *a, int lda, const void *b, int ldb, double beta,
                   void *c) {
  size_t a_count = (size_t)m * k, b_count = (size_t)k * n;
  size_t a_bytes = (a_count * 2 + 255) & ~(size_t)255; /* B starts 256-byte aligned */
  void *staging = NULL;
  ECUD_TRY(ecud_half_staging(a_bytes + b_count * 2 + 2, &staging));
  char *a16 = (char *)staging, *b16 = a16 + a_bytes;
  ECUD_TRY(ecud_cast_to_half(a, a16, a_count));
  ECUD_TRY(ecud_cast_to_half(b, b16, b_count));
  float fa = (float)alpha, fb = (float)beta;
  int type = cuda_half_type();
  /* Row-major C = op(A) op(B) as column-major Cᵀ = op(B)ᵀ op(A)ᵀ, as ecud_gemm; C stays float32. */
  return ecud_check_cublas(ecud_g.blas.cublasGemmEx(ecud_g.cublas, op_b, op_a, n, m, k, &fa, b16, type, ldb, a16, type, lda, &fb, c,
                                                    EC_CUDA_R_32F, n, EC_CUBLAS_COMPUTE_32F, EC_CUBLAS_GEMM_DEFAULT),
                           "cublasGemmEx");
}

void ecud_half_release(void) {
  if (ecud_g.half_buffer) ecud_g.rt.cudaFree(ecud_g.half_buffer);
  ecud_g.half_buffer = NULL;
  ecud_g.half_buffer_bytes = 0;
}
