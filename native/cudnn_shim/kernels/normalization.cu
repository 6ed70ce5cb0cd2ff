// Batch normalisation and local response normalisation, as the CPU backend (NormalizationKernels.cs)
// computes them. A tensor N×C×S is N·C contiguous planes of S elements.
// Batch norm: one block of BN_THREADS threads per channel (launched with exactly that many); each
// thread sums a fixed strided subset in double and a fixed-shape tree combines them, so the result
// never depends on timing. Statistics as the CPU: mean, then the variance in a second pass over
// (x − mean)², biased for normalising, unbiased (count − 1) for the running variance (PyTorch's rule).

#define BN_THREADS 256

// Sum of every thread's value in the block (blockDim.x a power of two, at most BN_THREADS), returned
// to all threads; the shared array may be reused after the call.
__device__ double bn_block_sum(double value, double* part) {
  unsigned t = threadIdx.x;
  part[t] = value;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (t < stride) part[t] += part[t + stride];
    __syncthreads();
  }
  double total = part[0];
  __syncthreads();
  return total;
}

// Element j of channel c's M = N·S elements: sample j / S, position j % S.
__device__ __forceinline__ i64 bn_at(i64 j, int c, int channels, int spatial) {
  return ((j / spatial) * channels + c) * spatial + j % spatial;
}

template <typename T>
__device__ void bn_forward_impl(int batch, int channels, int spatial, const T* x, const T* gamma, const T* beta, T* running_mean,
                                T* running_variance, T* saved_mean, T* saved_inv_std, T* y, double epsilon, double momentum, int training) {
  __shared__ double part[BN_THREADS];
  i64 m = (i64)batch * spatial;
  double count = (double)m;
  for (int c = blockIdx.x; c < channels; c += gridDim.x) {
    double mean, inv_std;
    if (training) {
      double local = 0;
      for (i64 j = threadIdx.x; j < m; j += blockDim.x) local += (double)x[bn_at(j, c, channels, spatial)];
      mean = bn_block_sum(local, part) / count;
      local = 0;
      for (i64 j = threadIdx.x; j < m; j += blockDim.x) {
        double d = (double)x[bn_at(j, c, channels, spatial)] - mean;
        local += d * d;
      }
      double squares = bn_block_sum(local, part);
      inv_std = 1.0 / sqrt(squares / count + epsilon);
      if (threadIdx.x == 0) {
        saved_mean[c] = (T)mean;
        saved_inv_std[c] = (T)inv_std;
        double unbiased = squares / (count - 1);
        running_mean[c] = (T)((1 - momentum) * (double)running_mean[c] + momentum * mean);
        running_variance[c] = (T)((1 - momentum) * (double)running_variance[c] + momentum * unbiased);
      }
    } else {
      mean = (double)running_mean[c];
      inv_std = 1.0 / sqrt((double)running_variance[c] + epsilon);
    }
    // y = γ(x − μ)s + β = x·a + b, a and b rounded to T as on the CPU.
    double a = (double)gamma[c] * inv_std;
    T scale = (T)a;
    T shift = (T)((double)beta[c] - mean * a);
    // x is read above by every thread before y (which may be x) is written: the sums' barriers order it.
    for (i64 j = threadIdx.x; j < m; j += blockDim.x) {
      i64 at = bn_at(j, c, channels, spatial);
      y[at] = x[at] * scale + shift;
    }
    __syncthreads();
  }
}

template <typename T>
__device__ void bn_backward_impl(int batch, int channels, int spatial, const T* x, const T* dy, const T* gamma, const T* saved_mean,
                                 const T* saved_inv_std, T* dx, T* d_gamma, T* d_beta) {
  __shared__ double part[BN_THREADS];
  i64 m = (i64)batch * spatial;
  double count = (double)m;
  for (int c = blockIdx.x; c < channels; c += gridDim.x) {
    double mean = (double)saved_mean[c], inv_std = (double)saved_inv_std[c];
    double local_sum = 0, local_dot = 0;
    for (i64 j = threadIdx.x; j < m; j += blockDim.x) {
      i64 at = bn_at(j, c, channels, spatial);
      double g = (double)dy[at];
      local_sum += g;
      local_dot += g * (double)x[at];
    }
    double sum_dy = bn_block_sum(local_sum, part);
    double sum_dy_x = bn_block_sum(local_dot, part);
    // Σ dy·x̂ = s·(Σ dy·x − μ·Σ dy).
    double dg = inv_std * (sum_dy_x - mean * sum_dy);
    if (threadIdx.x == 0) {
      d_gamma[c] = (T)dg;
      d_beta[c] = (T)sum_dy;
    }
    // dx = k1·dy + k2·x + k3 with k1 = γs, k2 = −γs²·dγ/M, k3 = −γs·dβ/M − k2·μ.
    double k1 = (double)gamma[c] * inv_std;
    double k2 = -k1 * inv_std * dg / count;
    double k3 = -k1 * sum_dy / count - k2 * mean;
    T t1 = (T)k1, t2 = (T)k2, t3 = (T)k3;
    for (i64 j = threadIdx.x; j < m; j += blockDim.x) {
      i64 at = bn_at(j, c, channels, spatial);
      dx[at] = dy[at] * t1 + x[at] * t2 + t3;
    }
    __syncthreads();
  }
}

__device__ __forceinline__ float lrn_pow(float a, float b) { return powf(a, b); }
__device__ __forceinline__ double lrn_pow(double a, double b) { return pow(a, b); }

// scale = k + α/n·Σ x_j² over channels j in [c − ⌊n/2⌋, c + ⌊(n−1)/2⌋] (clipped), summed in T in
// ascending j; y = x·scale^(−β). One thread per element; n = N·C·S.
template <typename T>
__device__ void lrn_forward_impl(i64 n, int channels, int spatial, int size, double alpha_over_n, double k, double minus_beta,
                                 const T* x, T* y, T* scale) {
  T a = (T)alpha_over_n, shift = (T)k, exponent = (T)minus_beta;
  FOR_EACH(i, n) {
    int s = (int)(i % spatial);
    i64 rest = i / spatial;
    int c = (int)(rest % channels);
    i64 b = rest / channels;
    const T* xb = x + b * channels * spatial + s;
    int first = c - size / 2, last = c + (size - 1) / 2;
    if (first < 0) first = 0;
    if (last > channels - 1) last = channels - 1;
    T sum = (T)0;
    for (int j = first; j <= last; j++) {
      T v = xb[(i64)j * spatial];
      sum += v * v;
    }
    T sc = sum * a + shift;
    scale[i] = sc;
    y[i] = lrn_pow(sc, exponent) * x[i];
  }
}

// dx_c = scale_c^(−β)·dy_c − 2αβ/n·x_c·Σ_j dy_j·y_j/scale_j over the channels j whose window holds c,
// j in [c − ⌊(n−1)/2⌋, c + ⌊n/2⌋], summed in T in ascending j. One thread per element.
template <typename T>
__device__ void lrn_backward_impl(i64 n, int channels, int spatial, int size, double minus_beta, double minus_coefficient,
                                  const T* x, const T* y, const T* scale, const T* dy, T* dx) {
  T exponent = (T)minus_beta, coefficient = (T)minus_coefficient;
  FOR_EACH(i, n) {
    int s = (int)(i % spatial);
    i64 rest = i / spatial;
    int c = (int)(rest % channels);
    i64 base = (rest / channels) * channels * spatial + s;
    int first = c - (size - 1) / 2, last = c + size / 2;
    if (first < 0) first = 0;
    if (last > channels - 1) last = channels - 1;
    T sum = (T)0;
    for (int j = first; j <= last; j++) {
      i64 at = base + (i64)j * spatial;
      sum += dy[at] * y[at] / scale[at];
    }
    T g = lrn_pow(scale[i], exponent) * dy[i];
    dx[i] = sum * x[i] * coefficient + g;
  }
}

#define BN_FORWARD(S, T)                                                                                                       \
  extern "C" __global__ void bn_forward_##S(int batch, int channels, int spatial, const T* x, const T* gamma, const T* beta,  \
                                            T* running_mean, T* running_variance, T* saved_mean, T* saved_inv_std, T* y,      \
                                            double epsilon, double momentum, int training) {                                  \
    bn_forward_impl<T>(batch, channels, spatial, x, gamma, beta, running_mean, running_variance, saved_mean, saved_inv_std, y, \
                       epsilon, momentum, training);                                                                           \
  }
BN_FORWARD(f32, float)
BN_FORWARD(f64, double)

#define BN_BACKWARD(S, T)                                                                                                      \
  extern "C" __global__ void bn_backward_##S(int batch, int channels, int spatial, const T* x, const T* dy, const T* gamma,   \
                                             const T* saved_mean, const T* saved_inv_std, T* dx, T* d_gamma, T* d_beta) {     \
    bn_backward_impl<T>(batch, channels, spatial, x, dy, gamma, saved_mean, saved_inv_std, dx, d_gamma, d_beta);              \
  }
BN_BACKWARD(f32, float)
BN_BACKWARD(f64, double)

#define LRN_FORWARD(S, T)                                                                                                        \
  extern "C" __global__ void lrn_forward_##S(i64 n, int channels, int spatial, int size, double alpha_over_n, double k,        \
                                             double minus_beta, const T* x, T* y, T* scale) {                                   \
    lrn_forward_impl<T>(n, channels, spatial, size, alpha_over_n, k, minus_beta, x, y, scale);                                  \
  }
LRN_FORWARD(f32, float)
LRN_FORWARD(f64, double)

#define LRN_BACKWARD(S, T)                                                                                                       \
  extern "C" __global__ void lrn_backward_##S(i64 n, int channels, int spatial, int size, double minus_beta,                   \
                                              double minus_coefficient, const T* x, const T* y, const T* scale, const T* dy,   \
                                              T* dx) {                                                                          \
    lrn_backward_impl<T>(n, channels, spatial, size, minus_beta, minus_coefficient, x, y, scale, dy, dx);                       \
  }
LRN_BACKWARD(f32, float)
LRN_BACKWARD(f64, double)
