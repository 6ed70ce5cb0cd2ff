// Casts between float32 and the 16-bit types of --precision bf16 / fp16: convolutions and GEMMs
// read their float32 operands through half copies made here (cuDNN and cublasGemmEx then compute
// with float32 accumulation) and cuDNN's half results are widened back. Round to nearest, ties to
// even, as __float2bfloat16_rn / __float2half_rn; done on the bits so the module needs no CUDA
// header (NVRTC has no standard headers) and runs unchanged as C++ in the host emulator.

union float_word {
  float f;
  unsigned u;
};
__device__ inline unsigned float_bits(float f) {
  float_word w;
  w.f = f;
  return w.u;
}
__device__ inline float bits_float(unsigned u) {
  float_word w;
  w.u = u;
  return w.f;
}

__device__ inline unsigned short bf16_from_float(float f) {
  unsigned u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (unsigned short)((u >> 16) | 0x40u); // NaN stays a (quiet) NaN
  u += 0x7FFFu + ((u >> 16) & 1u); // carries into the exponent: the largest floats round to infinity
  return (unsigned short)(u >> 16);
}

__device__ inline float float_from_bf16(unsigned short h) { return bits_float((unsigned)h << 16); }

__device__ inline unsigned short fp16_from_float(float f) {
  unsigned u = float_bits(f);
  unsigned sign = (u >> 16) & 0x8000u;
  unsigned a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return (unsigned short)(sign | 0x7E00u);
  if (a >= 0x477FF000u) return (unsigned short)(sign | 0x7C00u); // 65520 and above: infinity
  if (a < 0x38800000u) {                                          // below 2^-14: a subnormal half (or zero)
    if (a < 0x33000000u) return (unsigned short)sign;               // below 2^-25 rounds to zero
    unsigned e = a >> 23, m = (a & 0x7FFFFFu) | 0x800000u;
    unsigned shift = 126u - e; // the half's unit is 2^-24
    unsigned q = m >> shift, rest = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rest > half || (rest == half && (q & 1u))) q++;
    return (unsigned short)(sign | q);
  }
  a -= 0x38000000u; // exponent bias 127 to 15
  a += 0xFFFu + ((a >> 13) & 1u);
  return (unsigned short)(sign | (a >> 13));
}

__device__ inline float float_from_fp16(unsigned short h) {
  unsigned sign = ((unsigned)h & 0x8000u) << 16, e = ((unsigned)h >> 10) & 0x1Fu, m = (unsigned)h & 0x3FFu;
  if (e == 0) {
    float v = (float)m * 5.9604644775390625e-8f; // m × 2^-24, exact
    return sign ? -v : v;
  }
  if (e == 31) return bits_float(sign | 0x7F800000u | (m << 13));
  return bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

extern "C" __global__ void to_bf16(i64 n, const float* x, unsigned short* y) { FOR_EACH(i, n) y[i] = bf16_from_float(x[i]); }
extern "C" __global__ void from_bf16(i64 n, const unsigned short* x, float* y) { FOR_EACH(i, n) y[i] = float_from_bf16(x[i]); }
extern "C" __global__ void to_fp16(i64 n, const float* x, unsigned short* y) { FOR_EACH(i, n) y[i] = fp16_from_float(x[i]); }
extern "C" __global__ void from_fp16(i64 n, const unsigned short* x, float* y) { FOR_EACH(i, n) y[i] = float_from_fp16(x[i]); }

// In place: what a float32 value becomes through the 16-bit type (the rounding alone, for tests
// and for emulating the mode on a backend that computes in float32).
extern "C" __global__ void round_bf16(i64 n, float* x) { FOR_EACH(i, n) x[i] = float_from_bf16(bf16_from_float(x[i])); }
extern "C" __global__ void round_fp16(i64 n, float* x) { FOR_EACH(i, n) x[i] = float_from_fp16(fp16_from_float(x[i])); }
