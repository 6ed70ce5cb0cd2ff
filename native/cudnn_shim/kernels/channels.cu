// Per-channel bias, sums and scaling, channel-range copies, the total sum and row-wise softmax.
// Ported from the CPU backend (OpenBlas ChannelKernels.cs) with the same semantics. Tensors are
// N×C×S (S positions per channel). Reductions are deterministic: either one thread per output
// looping in a fixed order, or one block of CH_THREADS threads whose partial sums (in double) are
// combined by a fixed tree.

// Threads per block of the block reductions (sum, sum_channels_planes); the managed side launches
// exactly this many (a power of two).
#define CH_THREADS 256

// The sum over the block of each thread's v; every thread of the block must call it.
__device__ __forceinline__ double ch_block_sum(double v, double* partial) {
  partial[threadIdx.x] = v;
  __syncthreads();
  for (unsigned stride = blockDim.x / 2; stride > 0; stride >>= 1) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  double total = partial[0];
  __syncthreads();
  return total;
}

// y[n, c, s] += bias[c]; one thread per element of y.
template <typename T> __device__ void add_channel_bias_impl(i64 n, T* y, const T* bias, int channels, i64 spatial) {
  FOR_EACH(i, n) y[i] = y[i] + bias[(i / spatial) % channels];
}
extern "C" __global__ void add_channel_bias_f32(i64 n, float* y, const float* bias, int channels, i64 spatial) {
  add_channel_bias_impl<float>(n, y, bias, channels, spatial);
}
extern "C" __global__ void add_channel_bias_f64(i64 n, double* y, const double* bias, int channels, i64 spatial) {
  add_channel_bias_impl<double>(n, y, bias, channels, spatial);
}

// N×C (S = 1), as the CPU does it: sums ← 0 (β = 0), or β·sums in T, then each row added in T in
// row order. One thread per channel, so the result equals the CPU's bit for bit.
template <typename T> __device__ void sum_channels_rows_impl(int batch, int channels, const T* x, T* sums, double beta) {
  FOR_EACH(c, channels) {
    T total = beta == 0 ? (T)0 : beta != 1 ? sums[c] * (T)beta : sums[c];
    for (int i = 0; i < batch; i++) total = total + x[(i64)i * channels + c];
    sums[c] = total;
  }
}
extern "C" __global__ void sum_channels_rows_f32(int batch, int channels, const float* x, float* sums, double beta) {
  sum_channels_rows_impl<float>(batch, channels, x, sums, beta);
}
extern "C" __global__ void sum_channels_rows_f64(int batch, int channels, const double* x, double* sums, double beta) {
  sum_channels_rows_impl<double>(batch, channels, x, sums, beta);
}

// S > 1: sums[c] ← β·sums[c] + Σ over (n, s) of x, accumulated in double; β = 0 ignores the old
// value (NaN included). One block (CH_THREADS threads) per channel.
template <typename T> __device__ void sum_channels_planes_impl(int batch, int channels, i64 spatial, const T* x, T* sums, double beta) {
  __shared__ double partial[CH_THREADS];
  i64 count = (i64)batch * spatial;
  for (int c = blockIdx.x; c < channels; c += gridDim.x) {
    double total = 0;
    for (i64 j = threadIdx.x; j < count; j += blockDim.x) {
      i64 sample = j / spatial, position = j % spatial;
      total += (double)x[(sample * channels + c) * spatial + position];
    }
    total = ch_block_sum(total, partial);
    if (threadIdx.x == 0) sums[c] = (T)(beta == 0 ? total : __dadd_rn(__dmul_rn(beta, (double)sums[c]), total));
  }
}
extern "C" __global__ void sum_channels_planes_f32(int batch, int channels, i64 spatial, const float* x, float* sums, double beta) {
  sum_channels_planes_impl<float>(batch, channels, spatial, x, sums, beta);
}
extern "C" __global__ void sum_channels_planes_f64(int batch, int channels, i64 spatial, const double* x, double* sums, double beta) {
  sum_channels_planes_impl<double>(batch, channels, spatial, x, sums, beta);
}

// result[0] ← Σ x accumulated in double, written in T. One block of CH_THREADS threads.
template <typename T> __device__ void sum_impl(i64 n, const T* x, T* result) {
  __shared__ double partial[CH_THREADS];
  double total = 0;
  for (i64 i = threadIdx.x; i < n; i += blockDim.x) total += (double)x[i];
  total = ch_block_sum(total, partial);
  if (threadIdx.x == 0 && blockIdx.x == 0) result[0] = (T)total;
}
extern "C" __global__ void sum_f32(i64 n, const float* x, float* result) { sum_impl<float>(n, x, result); }
extern "C" __global__ void sum_f64(i64 n, const double* x, double* result) { sum_impl<double>(n, x, result); }

// The row's maximum, NaN if the row holds one (as .NET's TensorPrimitives.Max).
template <typename T> __device__ __forceinline__ T ch_row_max(const T* row, int columns) {
  T best = row[0];
  for (int j = 0; j < columns; j++) {
    T v = row[j];
    if (v != v) return v;
    if (v > best) best = v;
  }
  return best;
}

// Row-wise softmax = exp(x − max) / Σ exp(x − max) (the sum in double, then rounded to T), or
// log-softmax = (x − max) − log Σ exp(x − max) (the log in double). One thread per row, which
// reads the whole row before writing it (for log) or writes only what it has read (softmax), so
// y may be x.
template <typename T> __device__ void softmax_impl(int rows, int columns, const T* x, T* y, int log_softmax) {
  if (columns <= 0) return;
  FOR_EACH(r, rows) {
    const T* xr = x + r * columns;
    T* yr = y + r * columns;
    T max = ch_row_max(xr, columns);
    if (!log_softmax) {
      double sum = 0;
      for (int j = 0; j < columns; j++) {
        T e = exp(xr[j] - max);
        yr[j] = e;
        sum += (double)e;
      }
      T total = (T)sum;
      for (int j = 0; j < columns; j++) yr[j] = yr[j] / total;
    } else {
      double sum = 0;
      for (int j = 0; j < columns; j++) sum += (double)(T)exp(xr[j] - max);
      T log_sum = (T)log(sum);
      for (int j = 0; j < columns; j++) yr[j] = (xr[j] - max) - log_sum;
    }
  }
}
extern "C" __global__ void softmax_f32(int rows, int columns, const float* x, float* y, int log_softmax) {
  softmax_impl<float>(rows, columns, x, y, log_softmax);
}
extern "C" __global__ void softmax_f64(int rows, int columns, const double* x, double* y, int log_softmax) {
  softmax_impl<double>(rows, columns, x, y, log_softmax);
}

// Softmax gradient of a row: dx = (dy − Σ dy·y)·y; log-softmax: dx = dy − e^y·Σ dy. The sums are
// taken (in double) before any element is written, and element j reads y[j], dy[j] before writing
// dx[j], so dx may be y or dy. One thread per row.
template <typename T> __device__ void softmax_backward_impl(int rows, int columns, const T* y, const T* dy, T* dx, int log_softmax) {
  if (columns <= 0) return;
  FOR_EACH(r, rows) {
    const T* yr = y + r * columns;
    const T* dyr = dy + r * columns;
    T* dxr = dx + r * columns;
    if (!log_softmax) {
      double dot = 0;
      for (int j = 0; j < columns; j++) dot += (double)dyr[j] * (double)yr[j];
      T d = (T)dot;
      for (int j = 0; j < columns; j++) dxr[j] = (dyr[j] - d) * yr[j];
    } else {
      double sum = 0;
      for (int j = 0; j < columns; j++) sum += (double)dyr[j];
      T s = (T)sum;
      for (int j = 0; j < columns; j++) dxr[j] = exp(yr[j]) * -s + dyr[j];
    }
  }
}
extern "C" __global__ void softmax_backward_f32(int rows, int columns, const float* y, const float* dy, float* dx, int log_softmax) {
  softmax_backward_impl<float>(rows, columns, y, dy, dx, log_softmax);
}
extern "C" __global__ void softmax_backward_f64(int rows, int columns, const double* y, const double* dy, double* dx, int log_softmax) {
  softmax_backward_impl<double>(rows, columns, y, dy, dx, log_softmax);
}

// destination[n, destinationOffset + c, s] ← source[n, sourceOffset + c, s] for c < channels; one
// thread per copied element (n = N·channels·S). Source and destination must not overlap (the
// managed side copies overlapping ranges of one tensor through a temporary).
template <typename T>
__device__ void copy_channels_impl(i64 n, const T* source, int source_channels, int source_offset, T* destination,
                                   int destination_channels, int destination_offset, int channels, i64 spatial) {
  i64 block = (i64)channels * spatial;
  FOR_EACH(i, n) {
    i64 sample = i / block, within = i % block;
    destination[(sample * destination_channels + destination_offset) * spatial + within] =
        source[(sample * source_channels + source_offset) * spatial + within];
  }
}
extern "C" __global__ void copy_channels_f32(i64 n, const float* s, int sc, int so, float* d, int dc, int dO, int channels, i64 spatial) {
  copy_channels_impl<float>(n, s, sc, so, d, dc, dO, channels, spatial);
}
extern "C" __global__ void copy_channels_f64(i64 n, const double* s, int sc, int so, double* d, int dc, int dO, int channels, i64 spatial) {
  copy_channels_impl<double>(n, s, sc, so, d, dc, dO, channels, spatial);
}

// y[n, c, s] ← x[n, c, s]·scale[c]; y may be x. One thread per element.
template <typename T> __device__ void scale_channels_impl(i64 n, const T* x, const T* scale, T* y, int channels, i64 spatial) {
  FOR_EACH(i, n) y[i] = x[i] * scale[(i / spatial) % channels];
}
extern "C" __global__ void scale_channels_f32(i64 n, const float* x, const float* scale, float* y, int channels, i64 spatial) {
  scale_channels_impl<float>(n, x, scale, y, channels, spatial);
}
extern "C" __global__ void scale_channels_f64(i64 n, const double* x, const double* scale, double* y, int channels, i64 spatial) {
  scale_channels_impl<double>(n, x, scale, y, channels, spatial);
}
