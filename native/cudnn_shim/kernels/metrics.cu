// The ops that let a training step report without a host read: one-hot targets, running loss,
// top-k and confusion counts, the sum of squares and clipping by a norm held on the device.
// Ported from the CPU backend (OpenBlas MetricKernels.cs) with the same semantics. Labels are
// int32; accumulators (loss, counts, matrix, sum of squares) are double. Counts are whole numbers
// (exact in double), so their order of addition cannot change them; the sum of squares is a block
// tree reduction of MT_THREADS threads (deterministic).

// Threads per block of sum_of_squares; the managed side launches exactly this many (a power of two).
#define MT_THREADS 256

// Finite: neither NaN nor ±∞ (no isfinite: NVRTC has no standard headers, and this cannot be
// folded away without fast-math).
__device__ __forceinline__ bool mt_finite(double v) { return fabs(v) <= 1.7976931348623157e308; }

// y (N×K) ← one-hot rows of labels; a label outside [0, K) gives a row of zeros. One thread per
// element of y (n = N·K).
template <typename T> __device__ void one_hot_impl(i64 n, int k, const int* labels, T* y) {
  FOR_EACH(i, n) y[i] = labels[i / k] == (int)(i % k) ? (T)1 : (T)0;
}
extern "C" __global__ void one_hot_f32(i64 n, int k, const int* labels, float* y) { one_hot_impl<float>(n, k, labels, y); }
extern "C" __global__ void one_hot_f64(i64 n, int k, const int* labels, double* y) { one_hot_impl<double>(n, k, labels, y); }

// acc[0] += weight·value[0] (in double, product then sum, not fused, as on the CPU); acc[1] ← step
// when value is not finite and no step was recorded yet (acc[1] = 0). One thread.
template <typename T> __device__ void accumulate_loss_impl(const T* value, double weight, i64 step, double* acc) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double v = (double)value[0];
  acc[0] = __dadd_rn(acc[0], __dmul_rn(weight, v));
  if (!mt_finite(v) && acc[1] == 0) acc[1] = (double)step;
}
extern "C" __global__ void accumulate_loss_f32(const float* value, double weight, i64 step, double* acc) {
  accumulate_loss_impl<float>(value, weight, step, acc);
}
extern "C" __global__ void accumulate_loss_f64(const double* value, double weight, i64 step, double* acc) {
  accumulate_loss_impl<double>(value, weight, step, acc);
}
// The step number from device memory (s[0], a whole number in double), for captured CUDA graphs.
extern "C" __global__ void accumulate_loss_dev_f32(const float* value, double weight, const double* s, double* acc) {
  accumulate_loss_impl<float>(value, weight, (i64)s[0], acc);
}
extern "C" __global__ void accumulate_loss_dev_f64(const double* value, double weight, const double* s, double* acc) {
  accumulate_loss_impl<double>(value, weight, (i64)s[0], acc);
}

// First pass of top-k: ranks[i] = how many logits of row i beat its label's (greater, NaN, or
// equal at a lower index: ties go to the lower index, as the confusion matrix's first maximum);
// a label outside [0, K) or a NaN own logit never counts (rank = K, beyond every k). One thread per row.
template <typename T> __device__ void topk_rank_impl(int n, int k, const T* logits, const int* labels, int* ranks) {
  FOR_EACH(i, n) {
    int t = labels[i];
    int rank = k;
    if (t >= 0 && t < k) {
      const T* row = logits + i * k;
      T own = row[t];
      if (own == own) {
        rank = 0;
        for (int j = 0; j < k; j++) {
          T v = row[j];
          if (v > own || v != v || (j < t && v == own)) rank++;
        }
      }
    }
    ranks[i] = rank;
  }
}
extern "C" __global__ void topk_rank_f32(int n, int k, const float* logits, const int* labels, int* ranks) {
  topk_rank_impl<float>(n, k, logits, labels, ranks);
}
extern "C" __global__ void topk_rank_f64(int n, int k, const double* logits, const int* labels, int* ranks) {
  topk_rank_impl<double>(n, k, logits, labels, ranks);
}

// Second pass: counts[j] += the rows whose rank ≤ j (top-(j + 1) hits). One thread per j.
extern "C" __global__ void topk_count(int ks, int n, const int* ranks, double* counts) {
  FOR_EACH(j, ks) {
    i64 hits = 0;
    for (int i = 0; i < n; i++)
      if (ranks[i] <= j) hits++;
    counts[j] += (double)hits;
  }
}

// matrix[t, predicted] += 1 for each row with label t in [0, K); predicted = the row's first NaN,
// else its first maximum. One thread per true class t, which alone writes matrix row t.
template <typename T> __device__ void confusion_impl(int n, int k, const T* logits, const int* labels, double* matrix) {
  FOR_EACH(t, k) {
    for (int i = 0; i < n; i++) {
      if (labels[i] != t) continue;
      const T* row = logits + (i64)i * k;
      int predicted = 0;
      for (int j = 0; j < k; j++) {
        if (row[j] != row[j]) {
          predicted = j;
          break;
        }
        if (row[j] > row[predicted]) predicted = j;
      }
      matrix[t * k + predicted] += 1;
    }
  }
}
extern "C" __global__ void confusion_f32(int n, int k, const float* logits, const int* labels, double* matrix) {
  confusion_impl<float>(n, k, logits, labels, matrix);
}
extern "C" __global__ void confusion_f64(int n, int k, const double* logits, const int* labels, double* matrix) {
  confusion_impl<double>(n, k, logits, labels, matrix);
}

// acc[0] ← β·acc[0] + Σ x² (squares and sum in double); β = 0 ignores the old value, NaN
// included. One block of MT_THREADS threads.
template <typename T> __device__ void sum_of_squares_impl(i64 n, const T* x, double* acc, double beta) {
  __shared__ double partial[MT_THREADS];
  double total = 0;
  for (i64 i = threadIdx.x; i < n; i += blockDim.x) {
    double v = (double)x[i];
    total += v * v;
  }
  partial[threadIdx.x] = total;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0 && blockIdx.x == 0) acc[0] = beta == 0 ? partial[0] : __dadd_rn(__dmul_rn(beta, acc[0]), partial[0]);
}
extern "C" __global__ void sum_of_squares_f32(i64 n, const float* x, double* acc, double beta) { sum_of_squares_impl<float>(n, x, acc, beta); }
extern "C" __global__ void sum_of_squares_f64(i64 n, const double* x, double* acc, double beta) { sum_of_squares_impl<double>(n, x, acc, beta); }

// x ← x·(maxNorm/√s), the factor rounded to T, when s = sum_of_squares[0] is finite and
// √s > maxNorm; decided on the device, so the host never reads s. One thread per element.
template <typename T> __device__ void clip_to_norm_impl(i64 n, const double* sum_of_squares, double max_norm, T* x) {
  double s = sum_of_squares[0];
  double norm = sqrt(s);
  if (!(mt_finite(s) && norm > max_norm)) return;
  T scale = (T)(max_norm / norm);
  FOR_EACH(i, n) x[i] = x[i] * scale;
}
extern "C" __global__ void clip_to_norm_f32(i64 n, const double* s, double max_norm, float* x) { clip_to_norm_impl<float>(n, s, max_norm, x); }
extern "C" __global__ void clip_to_norm_f64(i64 n, const double* s, double max_norm, double* x) { clip_to_norm_impl<double>(n, s, max_norm, x); }
