/* Host emulation of the shim's pooling, locally connected, normalisation and optimiser kernels: the
 * kernel sources compiled as C++ (host_prelude.h) and called on host arrays, checked against values
 * worked out by hand and against straightforward reference loops written the CPU backend's way
 * (pooling backward as the CPU's scatter). This proves the kernels' arithmetic and indexing before
 * the GPU run; the GPU adds only the launch and the block reductions. Exit code 0: all passed. */
#include "host_prelude.h"

#include "../kernels/common.cuh"
#include "../kernels/locally_connected.cu"
#include "../kernels/normalization.cu"
#include "../kernels/optimizer.cu"
#include "../kernels/pooling.cu"

#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

static int failures = 0, checks = 0;

static void expect_near(const char* what, int index, double got, double want, double tolerance) {
  checks++;
  bool ok = std::isnan(want) ? std::isnan(got) : std::fabs(got - want) <= tolerance * (1 + std::fabs(want));
  if (!ok) {
    failures++;
    std::printf("FAIL %s[%d]: got %.17g, want %.17g\n", what, index, got, want);
  }
}

template <typename T> static void expect_all(const char* what, const std::vector<T>& got, const std::vector<double>& want, double tolerance) {
  if (got.size() != want.size()) {
    failures++;
    std::printf("FAIL %s: %zu values, want %zu\n", what, got.size(), want.size());
    return;
  }
  for (size_t i = 0; i < got.size(); i++) expect_near(what, (int)i, (double)got[i], want[i], tolerance);
}

/* Bit-for-bit equality (same arithmetic in the same order), NaN equal to NaN. */
template <typename T> static void expect_same(const char* what, const std::vector<T>& got, const std::vector<T>& want) {
  for (size_t i = 0; i < got.size(); i++) {
    checks++;
    bool ok = (std::isnan(got[i]) && std::isnan(want[i])) || std::memcmp(&got[i], &want[i], sizeof(T)) == 0;
    if (!ok) {
      failures++;
      std::printf("FAIL %s[%zu]: got %.17g, want %.17g\n", what, i, (double)got[i], (double)want[i]);
    }
  }
}

/* ---- Pooling -------------------------------------------------------------------------------- */

/* A pooling problem as the kernels see it: 3-D planes; out sizes from padding before and after. */
struct pool_case {
  int planes, id, ih, iw, kd, kh, kw, sd, sh, sw, pd0, ph0, pw0, pd1, ph1, pw1, dd, dh, dw;
  int od() const { return (id + pd0 + pd1 - dd * (kd - 1) - 1) / sd + 1; }
  int oh() const { return (ih + ph0 + ph1 - dh * (kh - 1) - 1) / sh + 1; }
  int ow() const { return (iw + pw0 + pw1 - dw * (kw - 1) - 1) / sw + 1; }
  pool_shape shape() const { return pool_shape{id, ih, iw, od(), oh(), ow(), kd, kh, kw, sd, sh, sw, pd0, ph0, pw0, dd, dh, dw}; }
  i64 in_count() const { return (i64)planes * id * ih * iw; }
  i64 out_count() const { return (i64)planes * od() * oh() * ow(); }
};

template <typename T> static std::vector<T> pool_forward(const pool_case& p, const std::vector<T>& x, int max_mode, int include_pad) {
  std::vector<T> y(p.out_count());
  pool_shape s = p.shape();
  if constexpr (sizeof(T) == 4)
    pool_forward_f32(p.out_count(), x.data(), y.data(), s.id, s.ih, s.iw, s.od, s.oh, s.ow, s.kd, s.kh, s.kw, s.sd, s.sh, s.sw, s.pd, s.ph,
                     s.pw, s.dd, s.dh, s.dw, max_mode, include_pad);
  else
    pool_forward_f64(p.out_count(), x.data(), y.data(), s.id, s.ih, s.iw, s.od, s.oh, s.ow, s.kd, s.kh, s.kw, s.sd, s.sh, s.sw, s.pd, s.ph,
                     s.pw, s.dd, s.dh, s.dw, max_mode, include_pad);
  return y;
}

template <typename T>
static std::vector<T> pool_backward(const pool_case& p, const std::vector<T>& x, const std::vector<T>& dy, int max_mode, int include_pad) {
  std::vector<T> dx(p.in_count(), (T)-7); /* garbage: the kernel must overwrite every element */
  pool_shape s = p.shape();
  if constexpr (sizeof(T) == 4)
    pool_backward_f32(p.in_count(), x.data(), dy.data(), dx.data(), s.id, s.ih, s.iw, s.od, s.oh, s.ow, s.kd, s.kh, s.kw, s.sd, s.sh, s.sw,
                      s.pd, s.ph, s.pw, s.dd, s.dh, s.dw, max_mode, include_pad);
  else
    pool_backward_f64(p.in_count(), x.data(), dy.data(), dx.data(), s.id, s.ih, s.iw, s.od, s.oh, s.ow, s.kd, s.kh, s.kw, s.sd, s.sh, s.sw,
                      s.pd, s.ph, s.pw, s.dd, s.dh, s.dw, max_mode, include_pad);
  return dx;
}

/* The CPU's backward (PoolingKernels.PoolBackwardKernel): a scatter over the outputs in scan order,
 * taps and arg-max written out independently of the kernel's helpers. */
template <typename T>
static std::vector<T> pool_backward_scatter(const pool_case& p, const std::vector<T>& x, const std::vector<T>& dy, int max_mode, int include_pad) {
  std::vector<T> dx(p.in_count(), (T)0);
  int od = p.od(), oh = p.oh(), ow = p.ow();
  int in_volume = p.id * p.ih * p.iw;
  T full = (T)(p.kd * p.kh * p.kw);
  for (int plane = 0; plane < p.planes; plane++) {
    const T* xp = x.data() + (i64)plane * in_volume;
    T* dxp = dx.data() + (i64)plane * in_volume;
    int o = 0;
    for (int zd = 0; zd < od; zd++)
      for (int zh = 0; zh < oh; zh++)
        for (int zw = 0; zw < ow; zw++, o++) {
          std::vector<int> taps; /* real taps in scan order */
          for (int a = 0; a < p.kd; a++)
            for (int b = 0; b < p.kh; b++)
              for (int c = 0; c < p.kw; c++) {
                int d = zd * p.sd - p.pd0 + a * p.dd, h = zh * p.sh - p.ph0 + b * p.dh, w = zw * p.sw - p.pw0 + c * p.dw;
                if (d >= 0 && d < p.id && h >= 0 && h < p.ih && w >= 0 && w < p.iw) taps.push_back((d * p.ih + h) * p.iw + w);
              }
          if (taps.empty()) continue;
          T g = dy[(i64)plane * od * oh * ow + o];
          if (max_mode) {
            int best = taps[0];
            for (int t : taps)
              if (xp[t] > xp[best] || (std::isnan(xp[t]) && !std::isnan(xp[best]))) best = t;
            dxp[best] += g;
          } else {
            T share = g / (include_pad ? full : (T)taps.size());
            for (int t : taps) dxp[t] += share;
          }
        }
  }
  return dx;
}

static void test_pooling_by_hand() {
  /* 3×3 plane, 2×2 window, stride 1, padding 1 before and 0 after (asymmetric, as ceil mode gives). */
  pool_case p{1, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1};
  std::vector<double> x = {1, 2, 2, 3, 3, 0, 0, 1, 3};
  expect_all("maxpool ties+padding y", pool_forward(p, x, 1, 0), {1, 2, 2, 3, 3, 3, 3, 3, 3}, 0);
  /* dy = 2^o, so each dx names exactly which outputs it received: ties go to the first in scan order. */
  std::vector<double> dy = {1, 2, 4, 8, 16, 32, 64, 128, 256};
  expect_all("maxpool ties+padding dx", pool_backward(p, x, dy, 1, 0), {1, 6, 0, 216, 288, 0, 0, 0, 0}, 0);
  expect_all("avgpool exclude pad y", pool_forward(p, x, 0, 0), {1, 1.5, 2, 2, 2.25, 1.75, 1.5, 1.75, 1.75}, 0);
  expect_all("avgpool include pad y", pool_forward(p, x, 0, 1), {0.25, 0.75, 1, 1, 2.25, 1.75, 0.75, 1.75, 1.75}, 0);
  /* Exclude pad, backward: x[0,0] is in windows 0 (1 tap), 1 (2), 3 (2), 4 (4): 1 + 2/2 + 8/2 + 16/4. */
  std::vector<double> dx = pool_backward(p, x, dy, 0, 0);
  expect_near("avgpool exclude pad dx", 0, dx[0], 1 + 1 + 4 + 4, 0);
  expect_near("avgpool include pad dx", 0, pool_backward(p, x, dy, 0, 1)[0], (1 + 2 + 8 + 16) / 4.0, 0);

  /* 1-D: a window of padding alone gives 0 and routes nothing; float32 this time. */
  pool_case q{1, 1, 1, 2, 1, 1, 2, 1, 1, 1, 0, 0, 2, 0, 0, 0, 1, 1, 1};
  std::vector<float> xq = {-5, -3};
  expect_all("maxpool padding-only window y", pool_forward(q, xq, 1, 0), {0, -5, -3}, 0);
  expect_all("avgpool padding-only window y", pool_forward(q, xq, 0, 0), {0, -5, -4}, 0);
  expect_all("maxpool padding-only window dx", pool_backward(q, xq, std::vector<float>{100, 10, 1}, 1, 0), {10, 1}, 0);

  /* NaN counts as the maximum: the first NaN takes the gradient. */
  double nan = std::numeric_limits<double>::quiet_NaN();
  pool_case r{1, 1, 1, 4, 1, 1, 4, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1};
  std::vector<double> xr = {1, nan, 5, nan};
  expect_all("maxpool NaN y", pool_forward(r, xr, 1, 0), {nan}, 0);
  expect_all("maxpool NaN dx", pool_backward(r, xr, std::vector<double>{3}, 1, 0), {0, 3, 0, 0}, 0);
}

/* Gather vs the CPU's scatter, bit for bit, on 3-D problems with overlap, stride, dilation and
 * asymmetric padding, both modes, both padding counts, float and double. */
template <typename T> static void test_pooling_gather_vs_scatter() {
  const pool_case cases[] = {
      {3, 4, 5, 6, 2, 3, 3, 1, 2, 1, 1, 1, 0, 0, 1, 2, 1, 1, 1},
      {2, 3, 7, 7, 1, 3, 3, 1, 2, 2, 0, 1, 1, 0, 1, 1, 1, 2, 1},
      {2, 1, 6, 5, 1, 2, 2, 1, 2, 2, 0, 0, 0, 0, 0, 1, 1, 1, 1},
      {1, 5, 1, 1, 3, 1, 1, 1, 1, 1, 2, 0, 0, 1, 0, 0, 2, 1, 1},
      {2, 1, 6, 7, 1, 6, 7, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1},  /* global pooling */
      {2, 1, 9, 11, 1, 3, 2, 1, 3, 2, 0, 2, 1, 0, 1, 2, 1, 2, 3}, /* stride 3 with dilation 2 */
  };
  unsigned seed = 12345;
  for (const pool_case& p : cases) {
    std::vector<T> x(p.in_count()), dy(p.out_count());
    for (T& v : x) { seed = seed * 1103515245u + 12345u; v = (T)((int)(seed >> 16) % 5); } /* few distinct values: many ties */
    for (T& v : dy) { seed = seed * 1103515245u + 12345u; v = (T)((double)(seed >> 8) / (1 << 24) - 0.5); }
    for (int mode = 0; mode < 2; mode++)
      for (int include = 0; include < 2; include++)
        expect_same(sizeof(T) == 4 ? "pool gather vs scatter f32" : "pool gather vs scatter f64", pool_backward(p, x, dy, mode, include),
                    pool_backward_scatter(p, x, dy, mode, include));
  }
}

/* ---- Locally connected ---------------------------------------------------------------------- */

struct lc_case {
  int batch, channels, filters, ih, iw, kh, kw, sh, sw, ph0, pw0, ph1, pw1, dh, dw;
  int oh() const { return (ih + ph0 + ph1 - dh * (kh - 1) - 1) / sh + 1; }
  int ow() const { return (iw + pw0 + pw1 - dw * (kw - 1) - 1) / sw + 1; }
  int rows() const { return channels * kh * kw; }
};

#define LC_ARGS(c) c.batch, c.channels, c.filters, c.ih, c.iw, c.oh(), c.ow(), c.kh, c.kw, c.sh, c.sw, c.ph0, c.pw0, c.dh, c.dw

static void test_locally_connected_case(const lc_case& l) {
  int positions = l.oh() * l.ow(), rows = l.rows();
  std::vector<double> x((size_t)l.batch * l.channels * l.ih * l.iw), w((size_t)positions * l.filters * rows),
      dy((size_t)l.batch * l.filters * positions);
  unsigned seed = 7;
  auto next = [&seed]() { seed = seed * 1103515245u + 12345u; return (double)(seed >> 8) / (1 << 24) - 0.5; };
  for (double& v : x) v = next();
  for (double& v : w) v = next();
  for (double& v : dy) v = next();
  /* Reference: im2col written out, y[b,k,p] = Σ_r w[p,k,r]·col_b[r,p]; dx the adjoint scatter; dw. */
  std::vector<double> y_ref(dy.size(), 0), dx_ref(x.size(), 0), dw_ref(w.size(), 0);
  for (int b = 0; b < l.batch; b++)
    for (int p = 0; p < positions; p++)
      for (int c = 0; c < l.channels; c++)
        for (int th = 0; th < l.kh; th++)
          for (int tw = 0; tw < l.kw; tw++) {
            int h = (p / l.ow()) * l.sh - l.ph0 + th * l.dh, ww = (p % l.ow()) * l.sw - l.pw0 + tw * l.dw;
            if (h < 0 || h >= l.ih || ww < 0 || ww >= l.iw) continue;
            int r = (c * l.kh + th) * l.kw + tw;
            size_t xi = (((size_t)b * l.channels + c) * l.ih + h) * l.iw + ww;
            for (int k = 0; k < l.filters; k++) {
              size_t yi = ((size_t)b * l.filters + k) * positions + p, wi = ((size_t)p * l.filters + k) * rows + r;
              y_ref[yi] += w[wi] * x[xi];
              dx_ref[xi] += dy[yi] * w[wi];
              dw_ref[wi] += dy[yi] * x[xi];
            }
          }
  std::vector<double> y(dy.size()), dx(x.size(), -7), dw(w.size(), -7);
  lc_forward_f64((i64)y.size(), x.data(), w.data(), y.data(), LC_ARGS(l));
  lc_backward_data_f64((i64)dx.size(), dy.data(), w.data(), dx.data(), LC_ARGS(l));
  lc_backward_filter_f64((i64)dw.size(), x.data(), dy.data(), dw.data(), LC_ARGS(l));
  expect_all("locally connected y", y, y_ref, 1e-13);
  expect_all("locally connected dx", dx, dx_ref, 1e-13);
  expect_all("locally connected dw", dw, dw_ref, 1e-13);
}

static void test_locally_connected() {
  test_locally_connected_case(lc_case{2, 2, 3, 5, 4, 3, 2, 2, 1, 1, 0, 1, 1, 1, 2});
  test_locally_connected_case(lc_case{1, 3, 2, 9, 8, 2, 3, 3, 2, 2, 1, 1, 0, 2, 2}); /* stride 3 and 2 with dilation 2 */

  /* By hand: 1 sample, 1 channel 2×2, one 2×2 filter at the single position. */
  lc_case h{1, 1, 1, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1};
  std::vector<float> hx = {1, 2, 3, 4}, hw = {1, 10, 100, 1000}, hy(1), hdx(4), hdw(4);
  lc_forward_f32(1, hx.data(), hw.data(), hy.data(), LC_ARGS(h));
  expect_near("locally connected by hand y", 0, hy[0], 4321, 0);
  std::vector<float> hdy = {2};
  lc_backward_data_f32(4, hdy.data(), hw.data(), hdx.data(), LC_ARGS(h));
  expect_all("locally connected by hand dx", hdx, {2, 20, 200, 2000}, 0);
  lc_backward_filter_f32(4, hx.data(), hdy.data(), hdw.data(), LC_ARGS(h));
  expect_all("locally connected by hand dw", hdw, {2, 4, 6, 8}, 0);
}

/* ---- Batch norm and LRN --------------------------------------------------------------------- */

static void test_batch_norm() {
  /* N = 2, C = 2, S = 3. Channel 0 holds 1..6 (mean 3.5, Σ(x−μ)² = 17.5), channel 1 holds 2·(1..6). */
  const int n = 2, c = 2, s = 3;
  std::vector<double> x = {1, 2, 3, 2, 4, 6, 4, 5, 6, 8, 10, 12};
  std::vector<double> gamma = {2, 0.5}, beta = {1, -1}, rm = {0, 1}, rv = {1, 2}, sm(2), sis(2), y(12);
  bn_forward_f64(n, c, s, x.data(), gamma.data(), beta.data(), rm.data(), rv.data(), sm.data(), sis.data(), y.data(), 1e-5, 0.1, 1);
  double inv0 = 1 / std::sqrt(17.5 / 6 + 1e-5), inv1 = 1 / std::sqrt(70.0 / 6 + 1e-5);
  expect_all("batchnorm savedMean", sm, {3.5, 7}, 1e-15);
  expect_all("batchnorm savedInvStd", sis, {inv0, inv1}, 1e-15);
  /* Running: (1 − m)·old + m·batch, the variance unbiased (17.5/5 = 3.5, 70/5 = 14). */
  expect_all("batchnorm runningMean", rm, {0.35, 0.9 + 0.7}, 1e-15);
  expect_all("batchnorm runningVariance", rv, {0.9 + 0.35, 1.8 + 1.4}, 1e-15);
  std::vector<double> want(12);
  for (int i = 0; i < 12; i++) {
    int ch = (i / s) % c;
    want[i] = gamma[ch] * (x[i] - sm[ch]) * sis[ch] + beta[ch];
  }
  expect_all("batchnorm y (training)", y, want, 1e-14);

  /* Inference uses the running statistics and leaves them alone. */
  std::vector<double> rm2 = {1, 2}, rv2 = {4, 0.25}, y2(12);
  bn_forward_f64(n, c, s, x.data(), gamma.data(), beta.data(), rm2.data(), rv2.data(), sm.data(), sis.data(), y2.data(), 1e-5, 0.1, 0);
  for (int i = 0; i < 12; i++) {
    int ch = (i / s) % c;
    want[i] = gamma[ch] * (x[i] - rm2[ch]) / std::sqrt(rv2[ch] + 1e-5) + beta[ch];
  }
  expect_all("batchnorm y (inference)", y2, want, 1e-14);
  expect_all("batchnorm inference keeps running mean", rm2, {1, 2}, 0);

  /* Backward vs the textbook formula in double: dβ = Σdy, dγ = Σdy·x̂, dx = γs(dy − dβ/M − x̂·dγ/M). */
  std::vector<double> dy = {0.5, -1, 2, 0.25, 3, -2, 1, 1, -0.5, 0.75, -1.5, 2.5}, dx(12), dg(2), db(2);
  bn_backward_f64(n, c, s, x.data(), dy.data(), gamma.data(), sm.data(), sis.data(), dx.data(), dg.data(), db.data());
  std::vector<double> want_dg(2, 0), want_db(2, 0);
  for (int i = 0; i < 12; i++) {
    int ch = (i / s) % c;
    want_db[ch] += dy[i];
    want_dg[ch] += dy[i] * (x[i] - sm[ch]) * sis[ch];
  }
  for (int i = 0; i < 12; i++) {
    int ch = (i / s) % c;
    double xhat = (x[i] - sm[ch]) * sis[ch];
    want[i] = gamma[ch] * sis[ch] * (dy[i] - want_db[ch] / 6 - xhat * want_dg[ch] / 6);
  }
  expect_all("batchnorm dBeta", db, want_db, 1e-14);
  expect_all("batchnorm dGamma", dg, want_dg, 1e-13);
  expect_all("batchnorm dx", dx, want, 1e-12);
  expect_near("batchnorm dBeta by hand", 0, db[0], 0.5 - 1 + 2 + 1 + 1 - 0.5, 1e-15);

  /* float32: same numbers within float rounding; statistics still accumulate in double. */
  std::vector<float> xf(x.size()), gf = {2, 0.5f}, bf = {1, -1}, rmf = {0, 1}, rvf = {1, 2}, smf(2), sif(2), yf(12);
  for (size_t i = 0; i < x.size(); i++) xf[i] = (float)x[i];
  bn_forward_f32(n, c, s, xf.data(), gf.data(), bf.data(), rmf.data(), rvf.data(), smf.data(), sif.data(), yf.data(), 1e-5, 0.1, 1);
  expect_all("batchnorm f32 runningVariance", rvf, {1.25, 3.2}, 1e-7);
  expect_all("batchnorm f32 y", yf, std::vector<double>(y.begin(), y.end()), 1e-6);
}

static std::vector<double> lrn_forward(int channels, int spatial, int size, double alpha, double beta, double k, const std::vector<double>& x,
                                       std::vector<double>* scale_out = nullptr) {
  std::vector<double> y(x.size()), scale(x.size());
  lrn_forward_f64((i64)x.size(), channels, spatial, size, alpha / size, k, -beta, x.data(), y.data(), scale.data());
  if (scale_out) *scale_out = scale;
  return y;
}

static void test_lrn() {
  std::vector<double> x = {1, 2, 3}, scale;
  /* Size 3: window [c − 1, c + 1]; α/n = 1, k = 1, β = 0.5. */
  std::vector<double> y = lrn_forward(3, 1, 3, 3, 0.5, 1, x, &scale);
  expect_all("lrn size 3 scale", scale, {6, 15, 14}, 1e-15);
  expect_all("lrn size 3 y", y, {1 / std::sqrt(6.0), 2 / std::sqrt(15.0), 3 / std::sqrt(14.0)}, 1e-15);
  /* Size 2: window [c − 1, c] (PyTorch's placement). */
  lrn_forward(3, 1, 2, 2, 0.5, 1, x, &scale);
  expect_all("lrn size 2 scale", scale, {2, 6, 14}, 1e-15);
  /* float32 with spatial 2 (channels strided by S). */
  std::vector<float> xf = {1, -1, 2, 0, 3, 1}, yf(6), sf(6);
  lrn_forward_f32(6, 3, 2, 3, 1.0, 1, -0.75, xf.data(), yf.data(), sf.data());
  expect_all("lrn f32 scale", sf, {6, 2, 15, 3, 14, 2}, 1e-7);
  expect_near("lrn f32 y", 2, yf[2], 2 * std::pow(15.0, -0.75), 1e-6);

  /* Backward: the gradient of L = Σ dy·y by central differences, for several sizes (odd and even). */
  const int channels = 5, spatial = 2;
  std::vector<double> xs = {0.3, -1.2, 0.8, 2.0, -0.5, 0.1, 1.5, -0.7, 0.9, 0.4}, dys = {1, -0.5, 0.25, 2, -1, 0.5, 0.3, -0.2, 1.1, 0.6};
  for (int size = 1; size <= 4; size++) {
    std::vector<double> sc, ys = lrn_forward(channels, spatial, size, 0.7, 0.75, 1.5, xs, &sc), dx(xs.size());
    lrn_backward_f64((i64)xs.size(), channels, spatial, size, -0.75, -2 * 0.7 * 0.75 / size, xs.data(), ys.data(), sc.data(), dys.data(), dx.data());
    for (size_t i = 0; i < xs.size(); i++) {
      std::vector<double> up = xs, down = xs;
      up[i] += 1e-6;
      down[i] -= 1e-6;
      std::vector<double> yu = lrn_forward(channels, spatial, size, 0.7, 0.75, 1.5, up), yd = lrn_forward(channels, spatial, size, 0.7, 0.75, 1.5, down);
      double numeric = 0;
      for (size_t j = 0; j < xs.size(); j++) numeric += dys[j] * (yu[j] - yd[j]) / 2e-6;
      expect_near("lrn backward vs finite differences", (int)(size * 100 + i), dx[i], numeric, 1e-7);
    }
  }
}

/* ---- Optimisers ----------------------------------------------------------------------------- */

static void test_optimizers() {
  /* SGD: lr 0.1, wd 0.1, μ 0.9, dampening 0.5; θ = 1, ∇ = 0.5, so g = 0.6. */
  {
    std::vector<double> v = {1, 1, 1, 1}, g = {0.5, 0.5, 0.5, 0.5}, b = {0.2, 0.2, 0.2, 0.2};
    sgd_f64(1, v.data(), g.data(), b.data(), 0.1, 0.1, 0.9, 0.5, 1, 1, 0);         /* first step: b = g */
    sgd_f64(1, v.data() + 1, g.data(), b.data() + 1, 0.1, 0.1, 0.9, 0.5, 1, 0, 0); /* b = 0.18 + 0.3 */
    sgd_f64(1, v.data() + 2, g.data(), b.data() + 2, 0.1, 0.1, 0.9, 0.5, 1, 0, 1); /* Nesterov: g + μb */
    sgd_f64(1, v.data() + 3, g.data(), nullptr, 0.1, 0.1, 0, 0.5, 0, 0, 0);        /* no momentum, no buffer */
    expect_all("sgd value", v, {0.94, 0.952, 1 - 0.1 * (0.6 + 0.9 * 0.48), 0.94}, 1e-15);
    expect_all("sgd buffer", b, {0.6, 0.48, 0.48, 0.2}, 1e-15);
  }
  /* Adagrad: s = 0.75 + 0.25 = 1; θ = 1 − 0.1·0.5/(1 + 0). */
  {
    std::vector<double> v = {1}, g = {0.5}, s = {0.75};
    adagrad_f64(1, v.data(), g.data(), s.data(), 0.1, 0, 0);
    expect_all("adagrad value", v, {0.95}, 1e-15);
    expect_all("adagrad sum", s, {1}, 1e-15);
  }
  /* RMSprop centred with momentum: α 0.9, ∇ 2, v 0.6 → 0.94, a 0.1 → 0.29, b 0.4 → 0.2 + 2/√(0.94 − 0.29²). */
  {
    std::vector<double> v = {1, 1}, g = {2, 2}, sq = {0.6, 0.6}, buf = {0.4, 0.4}, mean = {0.1, 0.1};
    rmsprop_f64(1, v.data(), g.data(), sq.data(), buf.data(), mean.data(), 0.01, 0, 0, 0.9, 0.1, 0.5, 1, 1);
    rmsprop_f64(1, v.data() + 1, g.data(), sq.data() + 1, nullptr, nullptr, 0.01, 0, 1e-3, 0.9, 0.1, 0, 0, 0);
    double step = 0.2 + 2 / std::sqrt(0.94 - 0.29 * 0.29);
    expect_all("rmsprop value", v, {1 - 0.01 * step, 1 - 0.01 * 2 / (std::sqrt(0.94) + 1e-3)}, 1e-14);
    expect_all("rmsprop state", std::vector<double>{sq[0], buf[0], mean[0], sq[1]}, {0.94, step, 0.29, 0.94}, 1e-14);
  }
  /* Adam step 1 (c1 = 0.1, c2 = 0.001): m = 0.05, v = 0.00025, the step is lr·m̂/(√v̂ + ε) ≈ lr. */
  {
    std::vector<double> v = {1, 1, 1}, g = {0.5, 0.5, 0.5}, m = {0, 0, 0}, s = {0, 0, 0}, vmax = {0, 0, 0.001};
    double c2root = std::sqrt(0.001);
    adam_f64(1, v.data(), g.data(), m.data(), s.data(), nullptr, 0, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.01 / 0.1, c2root, 0);
    /* AdamW: θ·(1 − lr·wd) with wd 0.1, the gradient undecayed. */
    adam_f64(1, v.data() + 1, g.data(), m.data() + 1, s.data() + 1, nullptr, 0, 1 - 0.01 * 0.1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, c2root, 0);
    /* AMSGrad: the kept maximum 0.001 beats v = 0.00025, so the denominator is √0.001/√0.001 = 1 (+ε). */
    adam_f64(1, v.data() + 2, g.data(), m.data() + 2, s.data() + 2, vmax.data() + 2, 0, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, c2root, 1);
    double v_hat = std::sqrt(0.5 * 0.5 * 0.001) / c2root;
    expect_all("adam value", v, {1 - 0.1 * 0.05 / (v_hat + 1e-8), 0.999 - 0.1 * 0.05 / (v_hat + 1e-8), 1 - 0.1 * 0.05 / (1 + 1e-8)}, 1e-15);
    expect_near("adam first step is lr", 0, 1 - v[0], 0.01, 1e-6);
    expect_all("adam moments", std::vector<double>{m[0], s[0], vmax[2]}, {0.05, 0.00025, 0.001}, 1e-15);
  }
  /* RAdam: unrectified θ − lr·m/c1; rectified θ − lr·r·√c2·(m/c1)/(√v + ε). */
  {
    std::vector<double> v = {1, 1}, g = {0.5, 0.5}, m = {0, 0}, s = {0, 0};
    radam_f64(1, v.data(), g.data(), m.data(), s.data(), 0, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, 0.01, 0);
    double scale = 0.01 * 0.5 * std::sqrt(0.001);
    radam_f64(1, v.data() + 1, g.data(), m.data() + 1, s.data() + 1, 0, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, scale, 1);
    expect_all("radam value", v, {0.995, 1 - scale * 0.5 / (std::sqrt(0.00025) + 1e-8)}, 1e-15);
  }
  /* float32: AMSGrad's maximum propagates NaN as .NET's Max does (CUDA's fmax would drop it). */
  {
    float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<float> v = {1}, g = {0.5f}, m = {0}, s = {0}, vmax = {nan};
    adam_f32(1, v.data(), g.data(), m.data(), s.data(), vmax.data(), 0, 1, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.1, std::sqrt(0.001), 1);
    expect_all("adam f32 amsgrad NaN", vmax, {(double)nan}, 0);
    std::vector<float> w = {1}, b = {0};
    sgd_f32(1, w.data(), g.data(), b.data(), 0.1, 0.1, 0.9, 0.5, 1, 1, 0);
    expect_all("sgd f32 value", w, {0.94}, 1e-7);
  }
}

int main(void) {
  test_pooling_by_hand();
  test_pooling_gather_vs_scatter<float>();
  test_pooling_gather_vs_scatter<double>();
  test_locally_connected();
  test_batch_norm();
  test_lrn();
  test_optimizers();
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
