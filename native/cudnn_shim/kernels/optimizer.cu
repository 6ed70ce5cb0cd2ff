// Fused optimiser updates, one thread per element, with the CPU backend's formulas (OptimizerKernels.cs)
// written in the same order. Arithmetic is in the element type, as PyTorch updates a float32
// parameter in float32; the host computes the derived scalars (1 − β, lr·wd, bias corrections) in
// double exactly as the CPU does and passes them as doubles, converted to T here once per thread.

__device__ __forceinline__ float opt_sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double opt_sqrt(double x) { return sqrt(x); }

// .NET's T.Max: NaN if either operand is NaN (IEEE 754-2019 maximum), unlike CUDA's fmax.
template <typename T> __device__ __forceinline__ T opt_max(T a, T b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

// SGD: g = ∇ + wd·θ; with momentum b ← g (first step) or μ·b + (1 − d)·g, step g + μ·b (Nesterov) or b.
template <typename T>
__device__ void sgd_impl(i64 n, T* value, const T* gradient, T* buffer, double lr_, double wd_, double mu_, double keep_,
                         int momentum, int first, int nesterov) {
  T lr = (T)lr_, wd = (T)wd_, mu = (T)mu_, keep = (T)keep_;
  FOR_EACH(i, n) {
    T g = gradient[i] + wd * value[i];
    if (momentum) {
      T b = first ? g : mu * buffer[i] + keep * g;
      buffer[i] = b;
      g = nesterov ? g + mu * b : b;
    }
    value[i] -= lr * g;
  }
}

// Adagrad: s ← s + g²; θ ← θ − lr·g/(√s + ε).
template <typename T>
__device__ void adagrad_impl(i64 n, T* value, const T* gradient, T* sum, double lr_, double wd_, double eps_) {
  T lr = (T)lr_, wd = (T)wd_, eps = (T)eps_;
  FOR_EACH(i, n) {
    T g = gradient[i] + wd * value[i];
    T s = sum[i] + g * g;
    sum[i] = s;
    value[i] -= lr * g / (opt_sqrt(s) + eps);
  }
}

// RMSprop: v ← α·v + (1 − α)·g²; centred: a ← α·a + (1 − α)·g, v − a²; momentum: b ← μ·b + g/(√v + ε).
template <typename T>
__device__ void rmsprop_impl(i64 n, T* value, const T* gradient, T* square, T* buffer, T* mean, double lr_, double wd_, double eps_,
                             double alpha_, double rest_, double mu_, int centered, int momentum) {
  T lr = (T)lr_, wd = (T)wd_, eps = (T)eps_, alpha = (T)alpha_, rest = (T)rest_, mu = (T)mu_;
  FOR_EACH(i, n) {
    T g = gradient[i] + wd * value[i];
    T v = alpha * square[i] + rest * g * g;
    square[i] = v;
    if (centered) {
      T a = alpha * mean[i] + rest * g;
      mean[i] = a;
      v -= a * a;
    }
    T step = g / (opt_sqrt(v) + eps);
    if (momentum) {
      step = mu * buffer[i] + step;
      buffer[i] = step;
    }
    value[i] -= lr * step;
  }
}

// Adam/AdamW: θ' = θ·shrink; m, v moments; AMSGrad keeps max(v); θ ← θ' − (lr/c1)·m/(√v/√c2 + ε).
template <typename T>
__device__ void adam_impl(i64 n, T* value, const T* gradient, T* m, T* v, T* v_max, double wd_, double shrink_, double b1_, double r1_,
                          double b2_, double r2_, double eps_, double step_size_, double c2_root_, int amsgrad) {
  T wd = (T)wd_, shrink = (T)shrink_, b1 = (T)b1_, r1 = (T)r1_, b2 = (T)b2_, r2 = (T)r2_, eps = (T)eps_;
  T step_size = (T)step_size_, c2_root = (T)c2_root_;
  FOR_EACH(i, n) {
    T theta = value[i] * shrink;
    T g = gradient[i] + wd * value[i];
    T mi = b1 * m[i] + r1 * g;
    T vi = b2 * v[i] + r2 * g * g;
    m[i] = mi;
    v[i] = vi;
    if (amsgrad) {
      vi = opt_max(v_max[i], vi);
      v_max[i] = vi;
    }
    value[i] = theta - step_size * mi / (opt_sqrt(vi) / c2_root + eps);
  }
}

// RAdam: moments as Adam; rectified θ ← θ' − scale·(m/c1)/(√v + ε), else θ ← θ' − scale·m/c1.
template <typename T>
__device__ void radam_impl(i64 n, T* value, const T* gradient, T* m, T* v, double wd_, double shrink_, double b1_, double r1_, double b2_,
                           double r2_, double eps_, double c1_, double scale_, int rectified) {
  T wd = (T)wd_, shrink = (T)shrink_, b1 = (T)b1_, r1 = (T)r1_, b2 = (T)b2_, r2 = (T)r2_, eps = (T)eps_, c1 = (T)c1_, scale = (T)scale_;
  FOR_EACH(i, n) {
    T theta = value[i] * shrink;
    T g = gradient[i] + wd * value[i];
    T mi = b1 * m[i] + r1 * g;
    T vi = b2 * v[i] + r2 * g * g;
    m[i] = mi;
    v[i] = vi;
    T corrected = mi / c1;
    value[i] = rectified ? theta - scale * corrected / (opt_sqrt(vi) + eps) : theta - scale * corrected;
  }
}

#define OPT_EXPORTS(S, T)                                                                                                          \
  extern "C" __global__ void sgd_##S(i64 n, T* value, const T* gradient, T* buffer, double lr, double wd, double mu, double keep, \
                                     int momentum, int first, int nesterov) {                                                     \
    sgd_impl<T>(n, value, gradient, buffer, lr, wd, mu, keep, momentum, first, nesterov);                                         \
  }                                                                                                                                \
  extern "C" __global__ void adagrad_##S(i64 n, T* value, const T* gradient, T* sum, double lr, double wd, double eps) {           \
    adagrad_impl<T>(n, value, gradient, sum, lr, wd, eps);                                                                         \
  }                                                                                                                                \
  extern "C" __global__ void rmsprop_##S(i64 n, T* value, const T* gradient, T* square, T* buffer, T* mean, double lr, double wd, \
                                         double eps, double alpha, double rest, double mu, int centered, int momentum) {          \
    rmsprop_impl<T>(n, value, gradient, square, buffer, mean, lr, wd, eps, alpha, rest, mu, centered, momentum);                  \
  }                                                                                                                                \
  extern "C" __global__ void adam_##S(i64 n, T* value, const T* gradient, T* m, T* v, T* v_max, double wd, double shrink,         \
                                      double b1, double r1, double b2, double r2, double eps, double step_size, double c2_root,   \
                                      int amsgrad) {                                                                               \
    adam_impl<T>(n, value, gradient, m, v, v_max, wd, shrink, b1, r1, b2, r2, eps, step_size, c2_root, amsgrad);                  \
  }                                                                                                                                \
  extern "C" __global__ void radam_##S(i64 n, T* value, const T* gradient, T* m, T* v, double wd, double shrink, double b1,       \
                                       double r1, double b2, double r2, double eps, double c1, double scale, int rectified) {     \
    radam_impl<T>(n, value, gradient, m, v, wd, shrink, b1, r1, b2, r2, eps, c1, scale, rectified);                                \
  }
OPT_EXPORTS(f32, float)
OPT_EXPORTS(f64, double)

// The same updates with every per-step scalar read from device memory (s: the slot the backend
// fills before each replay of a captured CUDA graph, in the by-value kernels' argument order, flags
// as 0.0/1.0), so that a replayed step uses this step's learning rate, bias corrections and
// first-step flag rather than the values of the step that was captured. Same arithmetic as above.
#define OPT_DEVICE_EXPORTS(S, T)                                                                                                   \
  extern "C" __global__ void sgd_dev_##S(i64 n, T* value, const T* gradient, T* buffer, const double* s) {                        \
    sgd_impl<T>(n, value, gradient, buffer, s[0], s[1], s[2], s[3], (int)s[4], (int)s[5], (int)s[6]);                             \
  }                                                                                                                                \
  extern "C" __global__ void adagrad_dev_##S(i64 n, T* value, const T* gradient, T* sum, const double* s) {                       \
    adagrad_impl<T>(n, value, gradient, sum, s[0], s[1], s[2]);                                                                    \
  }                                                                                                                                \
  extern "C" __global__ void rmsprop_dev_##S(i64 n, T* value, const T* gradient, T* square, T* buffer, T* mean, const double* s) { \
    rmsprop_impl<T>(n, value, gradient, square, buffer, mean, s[0], s[1], s[2], s[3], s[4], s[5], (int)s[6], (int)s[7]);          \
  }                                                                                                                                \
  extern "C" __global__ void adam_dev_##S(i64 n, T* value, const T* gradient, T* m, T* v, T* v_max, const double* s) {            \
    adam_impl<T>(n, value, gradient, m, v, v_max, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], (int)s[9]);              \
  }                                                                                                                                \
  extern "C" __global__ void radam_dev_##S(i64 n, T* value, const T* gradient, T* m, T* v, const double* s) {                     \
    radam_impl<T>(n, value, gradient, m, v, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], (int)s[9]);                     \
  }
OPT_DEVICE_EXPORTS(f32, float)
OPT_DEVICE_EXPORTS(f64, double)
