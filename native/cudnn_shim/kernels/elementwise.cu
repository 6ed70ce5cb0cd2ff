// Element-wise ops: unary and binary functions, y ← α·x + β·y, activations and their gradients.
// Ported from the CPU backend (OpenBlas ElementwiseKernels.cs) with the same semantics: max/min
// propagate NaN and order +0 above −0 (.NET's Math.Max/Min, not CUDA's fmax, which drops a NaN);
// sign(0) = 0 and sign(NaN) = NaN; real scalars arrive as double and are rounded to T first, as the
// CPU does. Every kernel reads element i before writing it, so an output may be one of its inputs.
// Op and activation codes are the C# enum values (UnaryOp, BinaryOp, Activation).

template <typename T> __device__ __forceinline__ bool ew_is_nan(T v) { return v != v; }

// True for −0 and negative numbers (the sign bit); only called on non-NaN values.
template <typename T> __device__ __forceinline__ bool ew_negative(T v) { return v < (T)0 || (v == (T)0 && (T)1 / v < (T)0); }

// IEEE 754-2019 maximum / minimum: NaN if either is NaN, +0 > −0.
template <typename T> __device__ __forceinline__ T ew_max(T a, T b) {
  if (ew_is_nan(a)) return a;
  if (ew_is_nan(b)) return b;
  if (a > b) return a;
  if (b > a) return b;
  return ew_negative(a) ? b : a;
}
template <typename T> __device__ __forceinline__ T ew_min(T a, T b) {
  if (ew_is_nan(a)) return a;
  if (ew_is_nan(b)) return b;
  if (a < b) return a;
  if (b < a) return b;
  return ew_negative(a) ? a : b;
}

template <typename T> __device__ __forceinline__ T ew_sigmoid(T v) { return (T)1 / ((T)1 + exp(-v)); }

// UnaryOp: Identity 0, Negate 1, Abs 2, Square 3, Sqrt 4, Exp 5, Log 6, Relu 7, Sigmoid 8, Tanh 9, Sign 10.
template <typename T> __device__ __forceinline__ T ew_unary(int op, T v) {
  switch (op) {
    case 0: return v;
    case 1: return -v;
    case 2: return fabs(v);
    case 3: return v * v;
    case 4: return sqrt(v);
    case 5: return exp(v);
    case 6: return log(v);
    case 7: return ew_max(v, (T)0);
    case 8: return ew_sigmoid(v);
    case 9: return tanh(v);
    case 10: return v > (T)0 ? (T)1 : v < (T)0 ? (T)-1 : ew_is_nan(v) ? v : (T)0;
    default: return v;
  }
}

template <typename T> __device__ void unary_impl(i64 n, int op, const T* x, T* y) {
  FOR_EACH(i, n) y[i] = ew_unary(op, x[i]);
}
extern "C" __global__ void unary_f32(i64 n, int op, const float* x, float* y) { unary_impl<float>(n, op, x, y); }
extern "C" __global__ void unary_f64(i64 n, int op, const double* x, double* y) { unary_impl<double>(n, op, x, y); }

// BinaryOp: Add 0, Subtract 1, Multiply 2, Divide 3, Max 4, Min 5.
template <typename T> __device__ __forceinline__ T ew_binary(int op, T a, T b) {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return ew_max(a, b);
    case 5: return ew_min(a, b);
    default: return a;
  }
}

template <typename T> __device__ void binary_impl(i64 n, int op, const T* a, const T* b, T* y) {
  FOR_EACH(i, n) y[i] = ew_binary(op, a[i], b[i]);
}
extern "C" __global__ void binary_f32(i64 n, int op, const float* a, const float* b, float* y) { binary_impl<float>(n, op, a, b, y); }
extern "C" __global__ void binary_f64(i64 n, int op, const double* a, const double* b, double* y) { binary_impl<double>(n, op, a, b, y); }

// y ← α·x + β·y with the CPU's cases: x is y (aliased) → (α + β)·y; β = 0 → the old y is ignored
// (NaN included) and α = 0 gives zeros even where x is NaN; otherwise β·y then + α·x. The
// comparisons are on the scalars rounded to T, as on the CPU.
template <typename T> __device__ void axpby_impl(i64 n, double alpha, const T* x, double beta, T* y, int aliased) {
  T a = (T)alpha, b = (T)beta;
  if (aliased) {
    T s = a + b;
    FOR_EACH(i, n) y[i] = y[i] * s;
  } else if (b == (T)0) {
    FOR_EACH(i, n) y[i] = a == (T)0 ? (T)0 : x[i] * a;
  } else {
    FOR_EACH(i, n) {
      T v = y[i];
      if (b != (T)1) v = v * b;
      if (a != (T)0) v = x[i] * a + v;
      y[i] = v;
    }
  }
}
extern "C" __global__ void axpby_f32(i64 n, double alpha, const float* x, double beta, float* y, int aliased) {
  axpby_impl<float>(n, alpha, x, beta, y, aliased);
}
extern "C" __global__ void axpby_f64(i64 n, double alpha, const double* x, double beta, double* y, int aliased) {
  axpby_impl<double>(n, alpha, x, beta, y, aliased);
}

// Activation: Relu 0, Sigmoid 1, Tanh 2, LeakyRelu 3, Elu 4. Leaky ReLU is a select (right for
// any α); ELU is max(x, 0) + (α·e^min(x, 0) − α), whose exponential never overflows.
template <typename T> __device__ __forceinline__ T ew_activation(int activation, T v, T alpha) {
  switch (activation) {
    case 0: return ew_max(v, (T)0);
    case 1: return ew_sigmoid(v);
    case 2: return tanh(v);
    case 3: return v > (T)0 ? v : alpha * v;
    case 4: return ew_max(v, (T)0) + (exp(ew_min(v, (T)0)) * alpha - alpha);
    default: return v;
  }
}

template <typename T> __device__ void activation_forward_impl(i64 n, int activation, const T* x, T* y, double alpha) {
  T a = (T)alpha;
  FOR_EACH(i, n) y[i] = ew_activation(activation, x[i], a);
}
extern "C" __global__ void activation_forward_f32(i64 n, int activation, const float* x, float* y, double alpha) {
  activation_forward_impl<float>(n, activation, x, y, alpha);
}
extern "C" __global__ void activation_forward_f64(i64 n, int activation, const double* x, double* y, double alpha) {
  activation_forward_impl<double>(n, activation, x, y, alpha);
}

// ReLU and leaky ReLU route by x > 0 (the gradient at 0 is the negative side's); sigmoid, tanh and
// ELU's negative side read the saved output y (ELU: dy·(y + α) = dy·α·eˣ).
template <typename T> __device__ __forceinline__ T ew_activation_gradient(int activation, T x, T y, T dy, T alpha) {
  switch (activation) {
    case 0: return x > (T)0 ? dy : (T)0;
    case 1: return dy * y * ((T)1 - y);
    case 2: return dy * ((T)1 - y * y);
    case 3: return x > (T)0 ? dy : alpha * dy;
    case 4: return x > (T)0 ? dy : dy * (y + alpha);
    default: return dy;
  }
}

template <typename T>
__device__ void activation_backward_impl(i64 n, int activation, const T* x, const T* y, const T* dy, T* dx, double alpha) {
  T a = (T)alpha;
  FOR_EACH(i, n) dx[i] = ew_activation_gradient(activation, x[i], y[i], dy[i], a);
}
extern "C" __global__ void activation_backward_f32(i64 n, int activation, const float* x, const float* y, const float* dy, float* dx, double alpha) {
  activation_backward_impl<float>(n, activation, x, y, dy, dx, alpha);
}
extern "C" __global__ void activation_backward_f64(i64 n, int activation, const double* x, const double* y, const double* dy, double* dx, double alpha) {
  activation_backward_impl<double>(n, activation, x, y, dy, dx, alpha);
}

// ChannelAffine, y[n, c, s] = f(scale[c]·x[n, c, s] + shift[c]) over N×C×S; activation −1 is none
// (else as ew_activation). One thread per element; y may be x (each element is read once, by the
// thread that writes it). The epilogue of a convolution that cuDNN's fused forward cannot take.
template <typename T>
__device__ void channel_affine_impl(i64 n, const T* x, const T* scale, const T* shift, T* y, int channels, i64 spatial, int activation,
                                    double alpha) {
  T a = (T)alpha;
  FOR_EACH(i, n) {
    int c = (int)((i / spatial) % channels);
    T v = scale[c] * x[i] + shift[c];
    y[i] = activation < 0 ? v : ew_activation(activation, v, a);
  }
}
extern "C" __global__ void channel_affine_f32(i64 n, const float* x, const float* scale, const float* shift, float* y, int channels,
                                              i64 spatial, int activation, double alpha) {
  channel_affine_impl<float>(n, x, scale, shift, y, channels, spatial, activation, alpha);
}
extern "C" __global__ void channel_affine_f64(i64 n, const double* x, const double* scale, const double* shift, double* y, int channels,
                                              i64 spatial, int activation, double alpha) {
  channel_affine_impl<double>(n, x, scale, shift, y, channels, spatial, activation, alpha);
}
