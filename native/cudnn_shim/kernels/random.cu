// Seeded random fills and inverted-dropout masks reproducing Engine.CounterRandom
// (src/Engine.Abstractions/CounterRandom.cs): element i of a fill with seed s is a pure function of
// (s, i), so the GPU gives the CPU's values whatever the launch shape. The hash and the uniforms are
// u64 and exact double arithmetic, so uniform fills and dropout masks are bit for bit the CPU's.
// Products and sums are written with __dmul_rn/__dadd_rn so that the compiler cannot fuse them
// into an FMA (one rounding instead of the CPU's two). Normal fills go through log, sqrt, cos and
// sin in double: sqrt is correctly rounded on both sides, but CUDA's log/cos/sin (≤ 1–2 ulp) and
// the CPU's C library may differ in the last bit, so normals agree to about 1e-15, not bit for bit.

// SplitMix64's finaliser of seed·φ + counter (CounterRandom.Hash).
__device__ __forceinline__ u64 rn_hash(u64 seed, u64 counter) {
  u64 z = seed * 0x9E3779B97F4A7C15ull + counter + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform on [0, 1): the top 53 bits times 2^-53 (both exact).
__device__ __forceinline__ double rn_uniform(u64 seed, u64 counter) {
  return __dmul_rn((double)(rn_hash(seed, counter) >> 11), 1.0 / 9007199254740992.0);
}

// Box–Muller on the uniforms of counters 2⌊i/2⌋ and 2⌊i/2⌋ + 1 (CounterRandom.Normal).
__device__ __forceinline__ double rn_normal(u64 seed, u64 counter) {
  u64 pair = counter & ~1ull;
  double u1 = __dsub_rn(1.0, rn_uniform(seed, pair));  // (0, 1]: log is finite
  double u2 = rn_uniform(seed, pair + 1);
  double radius = sqrt(__dmul_rn(-2.0, log(u1)));
  double angle = __dmul_rn(2.0 * 3.141592653589793, u2);
  return (counter & 1) == 0 ? __dmul_rn(radius, cos(angle)) : __dmul_rn(radius, sin(angle));
}

// .NET's BitDecrement: the largest value below v (+∞ → the largest finite value; NaN and −∞ stay).
__device__ __forceinline__ float rn_below(float v) {
  int bits = __float_as_int(v);
  if ((bits & 0x7F800000) == 0x7F800000) return bits == 0x7F800000 ? __int_as_float(0x7F7FFFFF) : v;
  if (bits == 0) return -__int_as_float(1);
  return __int_as_float(bits < 0 ? bits + 1 : bits - 1);
}
__device__ __forceinline__ double rn_below(double v) {
  long long bits = __double_as_longlong(v);
  if ((bits & 0x7FF0000000000000ll) == 0x7FF0000000000000ll)
    return bits == 0x7FF0000000000000ll ? __longlong_as_double(0x7FEFFFFFFFFFFFFFll) : v;
  if (bits == 0) return -__longlong_as_double(1);
  return __longlong_as_double(bits < 0 ? bits + 1 : bits - 1);
}

// x[i] ← a + width·u(seed, i) in double (width = b − a, computed by the caller as the CPU does),
// rounded to T; a value that rounds up to b (always possible in float) is replaced by the largest
// T below b so the interval stays half-open (only when b > a).
template <typename T> __device__ void fill_uniform_impl(i64 n, T* x, double a, double width, double b, u64 seed) {
  T upper = (T)b;
  T below_upper = rn_below(upper);
  bool clamp = b > a;
  FOR_EACH(i, n) {
    T value = (T)__dadd_rn(a, __dmul_rn(width, rn_uniform(seed, (u64)i)));
    x[i] = clamp && value >= upper ? below_upper : value;
  }
}
extern "C" __global__ void fill_uniform_f32(i64 n, float* x, double a, double width, double b, u64 seed) {
  fill_uniform_impl<float>(n, x, a, width, b, seed);
}
extern "C" __global__ void fill_uniform_f64(i64 n, double* x, double a, double width, double b, u64 seed) {
  fill_uniform_impl<double>(n, x, a, width, b, seed);
}

// x[i] ← mean + deviation·normal(seed, i) in double, rounded to T.
template <typename T> __device__ void fill_normal_impl(i64 n, T* x, double mean, double deviation, u64 seed) {
  FOR_EACH(i, n) x[i] = (T)__dadd_rn(mean, __dmul_rn(deviation, rn_normal(seed, (u64)i)));
}
extern "C" __global__ void fill_normal_f32(i64 n, float* x, double mean, double deviation, u64 seed) {
  fill_normal_impl<float>(n, x, mean, deviation, seed);
}
extern "C" __global__ void fill_normal_f64(i64 n, double* x, double mean, double deviation, u64 seed) {
  fill_normal_impl<double>(n, x, mean, deviation, seed);
}

// mask[i] ← kept when u(seed, i) ≥ p (compared in double), else 0; kept = 1/(1 − p) is computed by
// the caller in double, as the CPU does, and rounded to T here.
template <typename T> __device__ void dropout_mask_impl(i64 n, T* mask, double p, double kept, u64 seed) {
  T k = (T)kept;
  FOR_EACH(i, n) mask[i] = rn_uniform(seed, (u64)i) >= p ? k : (T)0;
}
extern "C" __global__ void dropout_mask_f32(i64 n, float* mask, double p, double kept, u64 seed) { dropout_mask_impl<float>(n, mask, p, kept, seed); }
extern "C" __global__ void dropout_mask_f64(i64 n, double* mask, double p, double kept, u64 seed) { dropout_mask_impl<double>(n, mask, p, kept, seed); }
