// Host prelude of the emulated kernel modules (see emulator.cpp): what NVRTC gives a .cu file,
// spelled for a C++ host compiler. Each module is compiled in its own translation unit inside its
// own namespace, after this header.
#ifndef ECUD_EMU_PRELUDE_H
#define ECUD_EMU_PRELUDE_H

#include <cmath>
#include <cstdint>
#include <cstring>

#include "emu_runtime.h"

// CUDA's keywords: nothing on the host. __shared__ arrays are per block; blocks run one after the
// other on one host thread, so a static (thread_local: one per host thread) array is the block's.
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__
#define __shared__ static thread_local
#define __align__(n)
#define __launch_bounds__(...)

struct ecud_emu_dim3 {
  unsigned x, y, z;
};
extern thread_local ecud_emu_dim3 threadIdx, blockIdx, blockDim, gridDim;

static inline void __syncthreads() { ecud_emu_syncthreads(); }
static inline void __threadfence() {}
static inline void __threadfence_block() {}

// Round-to-nearest arithmetic intrinsics (the emulator is compiled without FMA contraction).
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline double __ddiv_rn(double a, double b) { return a / b; }
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float __fsub_rn(float a, float b) { return a - b; }
static inline float __fdiv_rn(float a, float b) { return a / b; }
static inline int __float_as_int(float v) { int r; std::memcpy(&r, &v, 4); return r; }
static inline float __int_as_float(int v) { float r; std::memcpy(&r, &v, 4); return r; }
static inline unsigned __float_as_uint(float v) { unsigned r; std::memcpy(&r, &v, 4); return r; }
static inline float __uint_as_float(unsigned v) { float r; std::memcpy(&r, &v, 4); return r; }
static inline long long __double_as_longlong(double v) { long long r; std::memcpy(&r, &v, 8); return r; }
static inline double __longlong_as_double(long long v) { double r; std::memcpy(&r, &v, 8); return r; }

// CUDA's math functions, overloaded for float and double as NVRTC provides them.
using std::acos; using std::asin; using std::atan; using std::atan2; using std::ceil; using std::copysign;
using std::cos; using std::cosh; using std::erf; using std::exp; using std::expm1; using std::fabs;
using std::floor; using std::fma; using std::fmax; using std::fmin; using std::fmod; using std::isfinite;
using std::isinf; using std::isnan; using std::log; using std::log1p; using std::log2; using std::pow;
using std::round; using std::signbit; using std::sin; using std::sinh; using std::sqrt; using std::tan;
using std::tanh; using std::trunc; using std::abs; using std::log10; using std::exp2; using std::cbrt;
static inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
static inline double rsqrt(double x) { return 1.0 / std::sqrt(x); }
static inline float __fdividef(float a, float b) { return a / b; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
static inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
static inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
static inline float min(float a, float b) { return std::fmin(a, b); }
static inline float max(float a, float b) { return std::fmax(a, b); }
static inline double min(double a, double b) { return std::fmin(a, b); }
static inline double max(double a, double b) { return std::fmax(a, b); }

#endif
