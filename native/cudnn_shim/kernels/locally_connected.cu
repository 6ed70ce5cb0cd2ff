// Locally connected layers over 2 spatial axes (unshared filters), with the CPU's layouts: x is
// N×C×H×W, y N×K×OH×OW, w P×K×R with P = OH·OW positions (row-major) and R = C·kh·kw taps in
// (c, kh, kw) order, as im2col lays them out; taps in the padding read as 0. One thread per output
// element of each pass; sums run in double in a fixed order. Backward data gathers (one thread per
// input element over the (position, tap) pairs that read it) instead of the CPU's col2im scatter.

struct lc_shape {
  int batch, channels, filters, ih, iw, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};

#define LC_PARAMS int batch, int channels, int filters, int ih, int iw, int oh, int ow, int kh, int kw, \
                  int sh, int sw, int ph, int pw, int dil_h, int dil_w
#define LC_SHAPE lc_shape{batch, channels, filters, ih, iw, oh, ow, kh, kw, sh, sw, ph, pw, dil_h, dil_w}

// y[b, k, p] = Σ_r w[p, k, r]·col_b[r, p]; n = N·K·P.
template <typename T> __device__ void lc_forward_impl(i64 n, const T* x, const T* w, T* y, lc_shape s) {
  int positions = s.oh * s.ow, rows = s.channels * s.kh * s.kw;
  FOR_EACH(i, n) {
    int p = (int)(i % positions);
    i64 rest = i / positions;
    int k = (int)(rest % s.filters);
    i64 b = rest / s.filters;
    int zh = p / s.ow, zw = p % s.ow;
    const T* wp = w + ((i64)p * s.filters + k) * rows;
    double sum = 0;
    for (int c = 0; c < s.channels; c++) {
      const T* xc = x + (b * s.channels + c) * s.ih * s.iw;
      for (int th = 0; th < s.kh; th++) {
        int yh = zh * s.sh - s.ph + th * s.dh;
        if (yh < 0 || yh >= s.ih) continue;
        for (int tw = 0; tw < s.kw; tw++) {
          int xw = zw * s.sw - s.pw + tw * s.dw;
          if (xw < 0 || xw >= s.iw) continue;
          sum += (double)wp[(c * s.kh + th) * s.kw + tw] * (double)xc[yh * s.iw + xw];
        }
      }
    }
    y[i] = (T)sum;
  }
}

// The outputs whose window covers input coordinate at on one axis: z in [*lo, *hi] (ascending) with
// at + pad − z·stride a multiple of the dilation (then tap (at + pad − z·stride)/dilation).
__device__ __forceinline__ void lc_cover(int at, int stride, int pad, int kernel, int dilation, int outputs, int* lo, int* hi) {
  int low = at + pad - (kernel - 1) * dilation;
  *lo = low <= 0 ? 0 : (low + stride - 1) / stride;
  int high = (at + pad) / stride;
  *hi = high < outputs - 1 ? high : outputs - 1;
}

// dx[b, c, h, w] = Σ over the (position p, tap (th, tw)) pairs that read (h, w) of Σ_k dy[b, k, p]·w[p, k, r];
// n = N·C·H·W. Positions are visited in ascending order, k innermost.
template <typename T> __device__ void lc_backward_data_impl(i64 n, const T* dy, const T* w, T* dx, lc_shape s) {
  int positions = s.oh * s.ow, rows = s.channels * s.kh * s.kw;
  FOR_EACH(i, n) {
    i64 rest = i;
    int xw = (int)(rest % s.iw); rest /= s.iw;
    int xh = (int)(rest % s.ih); rest /= s.ih;
    int c = (int)(rest % s.channels);
    i64 b = rest / s.channels;
    const T* dyb = dy + b * s.filters * positions;
    int h_lo, h_hi, w_lo, w_hi;
    lc_cover(xh, s.sh, s.ph, s.kh, s.dh, s.oh, &h_lo, &h_hi);
    lc_cover(xw, s.sw, s.pw, s.kw, s.dw, s.ow, &w_lo, &w_hi);
    double sum = 0;
    for (int zh = h_lo; zh <= h_hi; zh++) {
      int th = xh + s.ph - zh * s.sh;
      if (th % s.dh != 0) continue;
      th /= s.dh;
      for (int zw = w_lo; zw <= w_hi; zw++) {
        int tw = xw + s.pw - zw * s.sw;
        if (tw % s.dw != 0) continue;
        tw /= s.dw;
        int p = zh * s.ow + zw;
        int r = (c * s.kh + th) * s.kw + tw;
        for (int k = 0; k < s.filters; k++)
          sum += (double)dyb[(i64)k * positions + p] * (double)w[((i64)p * s.filters + k) * rows + r];
      }
    }
    dx[i] = (T)sum;
  }
}

// dw[p, k, r] = Σ_b dy[b, k, p]·col_b[r, p]; n = P·K·R.
template <typename T> __device__ void lc_backward_filter_impl(i64 n, const T* x, const T* dy, T* dw, lc_shape s) {
  int positions = s.oh * s.ow, taps = s.kh * s.kw, rows = s.channels * taps;
  FOR_EACH(i, n) {
    int r = (int)(i % rows);
    i64 rest = i / rows;
    int k = (int)(rest % s.filters);
    int p = (int)(rest / s.filters);
    int c = r / taps, th = (r % taps) / s.kw, tw = r % s.kw;
    int yh = (p / s.ow) * s.sh - s.ph + th * s.dh;
    int xw = (p % s.ow) * s.sw - s.pw + tw * s.dw;
    double sum = 0;
    if (yh >= 0 && yh < s.ih && xw >= 0 && xw < s.iw) {
      for (int b = 0; b < s.batch; b++)
        sum += (double)dy[((i64)b * s.filters + k) * positions + p] * (double)x[(((i64)b * s.channels + c) * s.ih + yh) * s.iw + xw];
    }
    dw[i] = (T)sum;
  }
}

extern "C" __global__ void lc_forward_f32(i64 n, const float* x, const float* w, float* y, LC_PARAMS) {
  lc_forward_impl<float>(n, x, w, y, LC_SHAPE);
}
extern "C" __global__ void lc_forward_f64(i64 n, const double* x, const double* w, double* y, LC_PARAMS) {
  lc_forward_impl<double>(n, x, w, y, LC_SHAPE);
}
extern "C" __global__ void lc_backward_data_f32(i64 n, const float* dy, const float* w, float* dx, LC_PARAMS) {
  lc_backward_data_impl<float>(n, dy, w, dx, LC_SHAPE);
}
extern "C" __global__ void lc_backward_data_f64(i64 n, const double* dy, const double* w, double* dx, LC_PARAMS) {
  lc_backward_data_impl<double>(n, dy, w, dx, LC_SHAPE);
}
extern "C" __global__ void lc_backward_filter_f32(i64 n, const float* x, const float* dy, float* dw, LC_PARAMS) {
  lc_backward_filter_impl<float>(n, x, dy, dw, LC_SHAPE);
}
extern "C" __global__ void lc_backward_filter_f64(i64 n, const double* x, const double* dy, double* dw, LC_PARAMS) {
  lc_backward_filter_impl<double>(n, x, dy, dw, LC_SHAPE);
}
