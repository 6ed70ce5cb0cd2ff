// Max and average pooling over 1 to 3 spatial axes, as the CPU backend (PoolingKernels.cs) defines
// them. Every rank is seen as 3-D planes (depth, height, width) with missing leading axes of size 1.
// Conventions shared with the CPU: padding never takes part in a max (a window of padding alone gives
// 0 and routes no gradient); the max is the first maximum in scan order (depth, row, column), a NaN
// beating every number; average divides by the whole window with countIncludePad, otherwise by the
// number of real elements. Sums run in the element type, in scan order, as on the CPU.

// The sizes of one call: input, output, window, stride, padding before, dilation per axis.
struct pool_shape {
  int id, ih, iw, od, oh, ow, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw;
};

// The real taps of output position o on one axis as input coordinates [first, end) stepping by the
// dilation (both 0 when the window holds only padding). Mirrors PoolingKernels.Taps.
__device__ __forceinline__ void pool_taps(int o, int stride, int pad, int kernel, int dilation, int input, int* first, int* end) {
  int start = o * stride - pad;
  int t_first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  int t_end = input - start <= 0 ? 0 : (input - start + dilation - 1) / dilation;
  if (t_end > kernel) t_end = kernel;
  if (t_end <= t_first) { *first = 0; *end = 0; return; }
  *first = start + t_first * dilation;
  *end = start + t_end * dilation;
}

// Strictly greater (ties keep the first), or the first NaN.
template <typename T> __device__ __forceinline__ bool pool_beats(T candidate, T best) {
  return candidate > best || (candidate != candidate && best == best);
}

// The window of output (zd, zh, zw): its tap ranges and the number of real taps.
struct pool_window {
  int d0, d1, h0, h1, w0, w1, count;
};

__device__ __forceinline__ pool_window pool_window_of(const pool_shape& s, int zd, int zh, int zw) {
  pool_window w;
  pool_taps(zd, s.sd, s.pd, s.kd, s.dd, s.id, &w.d0, &w.d1);
  pool_taps(zh, s.sh, s.ph, s.kh, s.dh, s.ih, &w.h0, &w.h1);
  pool_taps(zw, s.sw, s.pw, s.kw, s.dw, s.iw, &w.w0, &w.w1);
  w.count = ((w.d1 - w.d0) / s.dd) * ((w.h1 - w.h0) / s.dh) * ((w.w1 - w.w0) / s.dw);
  return w;
}

// Plane offset of the first maximum of a non-empty window.
template <typename T> __device__ int pool_argmax(const T* xp, const pool_shape& s, const pool_window& w) {
  int best = (w.d0 * s.ih + w.h0) * s.iw + w.w0;
  T best_value = xp[best];
  for (int d = w.d0; d < w.d1; d += s.dd)
    for (int h = w.h0; h < w.h1; h += s.dh) {
      int row = (d * s.ih + h) * s.iw;
      for (int c = w.w0; c < w.w1; c += s.dw)
        if (pool_beats(xp[row + c], best_value)) { best = row + c; best_value = xp[best]; }
    }
  return best;
}

// One thread per output element; n = planes · output volume.
template <typename T>
__device__ void pool_forward_impl(i64 n, const T* x, T* y, pool_shape s, int max_mode, int count_include_pad) {
  i64 in_volume = (i64)s.id * s.ih * s.iw;
  T full_window = (T)(s.kd * s.kh * s.kw);
  FOR_EACH(i, n) {
    i64 rest = i;
    int zw = (int)(rest % s.ow); rest /= s.ow;
    int zh = (int)(rest % s.oh); rest /= s.oh;
    int zd = (int)(rest % s.od); rest /= s.od;
    const T* xp = x + rest * in_volume;
    pool_window w = pool_window_of(s, zd, zh, zw);
    if (w.count == 0) { y[i] = (T)0; continue; }
    if (max_mode) { y[i] = xp[pool_argmax(xp, s, w)]; continue; }
    T sum = (T)0;
    for (int d = w.d0; d < w.d1; d += s.dd)
      for (int h = w.h0; h < w.h1; h += s.dh) {
        int row = (d * s.ih + h) * s.iw;
        for (int c = w.w0; c < w.w1; c += s.dw) sum += xp[row + c];
      }
    y[i] = sum / (count_include_pad ? full_window : (T)w.count);
  }
}

// The outputs whose window covers input coordinate at on one axis: tap t of output z hits
// z·stride − pad + t·dilation, so they are the z in [*lo, *hi] (ascending) for which
// at + pad − z·stride is a multiple of the dilation. Empty when *lo > *hi.
__device__ __forceinline__ void pool_cover(int at, int stride, int pad, int kernel, int dilation, int outputs, int* lo, int* hi) {
  int low = at + pad - (kernel - 1) * dilation;
  *lo = low <= 0 ? 0 : (low + stride - 1) / stride;
  int high = (at + pad) / stride;
  *hi = high < outputs - 1 ? high : outputs - 1;
}

// Gradient gather: one thread per input element; n = planes · input volume. Sums the share of every
// output whose window covers the element, in the output scan order the CPU's scatter adds them in,
// so the result is the CPU's bit for bit in the same arithmetic. Only the covering outputs are
// visited, so global pooling (window = input) costs one window per element, not one per tap.
template <typename T>
__device__ void pool_backward_impl(i64 n, const T* x, const T* dy, T* dx, pool_shape s, int max_mode, int count_include_pad) {
  i64 in_volume = (i64)s.id * s.ih * s.iw, out_volume = (i64)s.od * s.oh * s.ow;
  T full_window = (T)(s.kd * s.kh * s.kw);
  FOR_EACH(i, n) {
    i64 rest = i;
    int xw = (int)(rest % s.iw); rest /= s.iw;
    int xh = (int)(rest % s.ih); rest /= s.ih;
    int xd = (int)(rest % s.id); rest /= s.id;
    const T* xp = x + rest * in_volume;
    const T* dyp = dy + rest * out_volume;
    int self = (xd * s.ih + xh) * s.iw + xw;
    int d_lo, d_hi, h_lo, h_hi, w_lo, w_hi;
    pool_cover(xd, s.sd, s.pd, s.kd, s.dd, s.od, &d_lo, &d_hi);
    pool_cover(xh, s.sh, s.ph, s.kh, s.dh, s.oh, &h_lo, &h_hi);
    pool_cover(xw, s.sw, s.pw, s.kw, s.dw, s.ow, &w_lo, &w_hi);
    T sum = (T)0;
    for (int zd = d_lo; zd <= d_hi; zd++) {
      if ((xd + s.pd - zd * s.sd) % s.dd != 0) continue;
      for (int zh = h_lo; zh <= h_hi; zh++) {
        if ((xh + s.ph - zh * s.sh) % s.dh != 0) continue;
        for (int zw = w_lo; zw <= w_hi; zw++) {
          if ((xw + s.pw - zw * s.sw) % s.dw != 0) continue;
          pool_window w = pool_window_of(s, zd, zh, zw);
          if (w.count == 0) continue;
          T g = dyp[((i64)zd * s.oh + zh) * s.ow + zw];
          if (max_mode) {
            if (pool_argmax(xp, s, w) == self) sum += g;
          } else {
            sum += g / (count_include_pad ? full_window : (T)w.count);
          }
        }
      }
    }
    dx[i] = sum;
  }
}

#define POOL_PARAMS int id, int ih, int iw, int od, int oh, int ow, int kd, int kh, int kw, int sd, int sh, int sw, \
                    int pd, int ph, int pw, int dd, int dh, int dw, int max_mode, int count_include_pad
#define POOL_SHAPE pool_shape{id, ih, iw, od, oh, ow, kd, kh, kw, sd, sh, sw, pd, ph, pw, dd, dh, dw}

extern "C" __global__ void pool_forward_f32(i64 n, const float* x, float* y, POOL_PARAMS) {
  pool_forward_impl<float>(n, x, y, POOL_SHAPE, max_mode, count_include_pad);
}
extern "C" __global__ void pool_forward_f64(i64 n, const double* x, double* y, POOL_PARAMS) {
  pool_forward_impl<double>(n, x, y, POOL_SHAPE, max_mode, count_include_pad);
}
extern "C" __global__ void pool_backward_f32(i64 n, const float* x, const float* dy, float* dx, POOL_PARAMS) {
  pool_backward_impl<float>(n, x, dy, dx, POOL_SHAPE, max_mode, count_include_pad);
}
extern "C" __global__ void pool_backward_f64(i64 n, const double* x, const double* dy, double* dx, POOL_PARAMS) {
  pool_backward_impl<double>(n, x, dy, dx, POOL_SHAPE, max_mode, count_include_pad);
}
