// The emulator's own checks, through the ecud C API: gemm and convolutions (forward, backward data,
// backward filter; groups, stride, dilation, padding) against numbers computed here by direct
// formulas, and a kernel with dynamic shared memory and a barrier (test/shared_memory.cu).
#include <cmath>
#include <cstdio>
#include <vector>

#include "ecud.h"

static int failures, checks;

static void expect(double actual, double expected, const char *what, int index) {
  checks++;
  if (std::fabs(actual - expected) > 1e-9 * (1 + std::fabs(expected))) {
    failures++;
    std::printf("FAIL %s [%d]: got %.17g, expected %.17g\n", what, index, actual, expected);
  }
}

static void expect_ok(int status, const char *what) {
  checks++;
  if (status != ECUD_OK) {
    failures++;
    std::printf("FAIL %s: status %d: %s\n", what, status, ecud_last_error());
  }
}

static double *device(const std::vector<double> &values) {
  void *p = nullptr;
  expect_ok(ecud_malloc(&p, values.size() * sizeof(double)), "ecud_malloc");
  expect_ok(ecud_copy_to_device(p, values.data(), values.size() * sizeof(double)), "ecud_copy_to_device");
  return (double *)p;
}

static std::vector<double> host(const double *p, size_t n) {
  std::vector<double> values(n);
  expect_ok(ecud_copy_to_host(values.data(), p, n * sizeof(double)), "ecud_copy_to_host");
  return values;
}

static void gemm() {
  // A 2×3, B 3×2 (row-major); C = 2 A B + 0.5 C, and with Aᵀ Bᵀ given as stored transposes.
  std::vector<double> a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12}, c = {1, 1, 1, 1};
  double expected[4] = {2 * 58 + 0.5, 2 * 64 + 0.5, 2 * 139 + 0.5, 2 * 154 + 0.5};
  double *da = device(a), *db = device(b), *dc = device(c);
  expect_ok(ecud_gemm(ECUD_FLOAT64, 0, 0, 2, 2, 3, 2.0, da, db, 0.5, dc), "ecud_gemm");
  std::vector<double> r = host(dc, 4);
  for (int i = 0; i < 4; i++) expect(r[i], expected[i], "gemm", i);
  std::vector<double> at = {1, 4, 2, 5, 3, 6}, bt = {7, 9, 11, 8, 10, 12}, nan_c(4, NAN);
  double *dat = device(at), *dbt = device(bt), *dnan = device(nan_c);
  // beta = 0 ignores C, NaN included.
  expect_ok(ecud_gemm(ECUD_FLOAT64, 1, 1, 2, 2, 3, 2.0, dat, dbt, 0.0, dnan), "ecud_gemm transposed");
  r = host(dnan, 4);
  for (int i = 0; i < 4; i++) expect(r[i], expected[i] - 0.5, "gemm transposed, beta 0", i);
  for (double *p : {da, db, dc, dat, dbt, dnan}) ecud_free(p);
}

// Direct 1-D cross-correlation: N 1, C 4, groups 2, K 2, x 5, w 2, stride 2, dilation 2, pad 1.
static void convolution() {
  const int N = 1, C = 4, G = 2, K = 2, X = 5, W = 2, S = 2, D = 2, P = 1;
  const int Y = (X + 2 * P - D * (W - 1) - 1) / S + 1; // 2
  std::vector<double> x(N * C * X), w(K * (C / G) * W), dy(N * K * Y);
  for (size_t i = 0; i < x.size(); i++) x[i] = 0.5 + (double)i;
  for (size_t i = 0; i < w.size(); i++) w[i] = 1.0 - 0.25 * (double)i;
  for (size_t i = 0; i < dy.size(); i++) dy[i] = 2.0 + (double)i;
  std::vector<double> y(N * K * Y, 0), dx(x.size(), 0), dw(w.size(), 0);
  for (int k = 0; k < K; k++)
    for (int o = 0; o < Y; o++)
      for (int c = 0; c < C / G; c++)
        for (int t = 0; t < W; t++) {
          int i = o * S - P + t * D;
          if (i < 0 || i >= X) continue;
          int channel = (k / (K / G)) * (C / G) + c;
          y[k * Y + o] += x[channel * X + i] * w[(k * (C / G) + c) * W + t];
          dx[channel * X + i] += dy[k * Y + o] * w[(k * (C / G) + c) * W + t];
          dw[(k * (C / G) + c) * W + t] += dy[k * Y + o] * x[channel * X + i];
        }
  int xd[3] = {N, C, X}, wd[3] = {K, C / G, W}, yd[3] = {N, K, Y}, pad[1] = {P}, stride[1] = {S}, dilation[1] = {D};
  std::vector<double> poison(x.size(), NAN);
  double *dx_ = device(x), *dw_ = device(w), *dy_ = device(std::vector<double>(y.size(), NAN));
  expect_ok(ecud_convolution(ECUD_CONV_FORWARD, ECUD_FLOAT64, 1, xd, wd, yd, pad, stride, dilation, G, dx_, dw_, dy_), "forward");
  std::vector<double> r = host(dy_, y.size());
  for (size_t i = 0; i < y.size(); i++) expect(r[i], y[i], "convolution forward", (int)i);
  double *g = device(dy), *gx = device(poison), *gw = device(std::vector<double>(w.size(), NAN));
  expect_ok(ecud_convolution(ECUD_CONV_BACKWARD_DATA, ECUD_FLOAT64, 1, xd, wd, yd, pad, stride, dilation, G, gx, dw_, g), "backward data");
  r = host(gx, x.size());
  for (size_t i = 0; i < x.size(); i++) expect(r[i], dx[i], "convolution backward data", (int)i);
  expect_ok(ecud_convolution(ECUD_CONV_BACKWARD_FILTER, ECUD_FLOAT64, 1, xd, wd, yd, pad, stride, dilation, G, dx_, gw, g), "backward filter");
  r = host(gw, w.size());
  for (size_t i = 0; i < w.size(); i++) expect(r[i], dw[i], "convolution backward filter", (int)i);
  // A y size that is not cuDNN's output size is refused.
  int wrong[3] = {N, K, Y + 1};
  checks++;
  if (ecud_convolution(ECUD_CONV_FORWARD, ECUD_FLOAT64, 1, xd, wd, wrong, pad, stride, dilation, G, dx_, dw_, dy_) == ECUD_OK) {
    failures++;
    std::printf("FAIL a wrong output size was accepted\n");
  }
  for (double *p : {dx_, dw_, dy_, g, gx, gw}) ecud_free(p);
}

static void shared_memory() {
  const unsigned blocks = 3, threads = 128;
  std::vector<double> x(blocks * threads);
  for (size_t i = 0; i < x.size(); i++) x[i] = (double)i;
  double *dx = device(x), *dy = device(std::vector<double>(x.size(), NAN));
  void *function = nullptr;
  expect_ok(ecud_kernel("shared_memory", "reverse_blocks_f64", &function), "ecud_kernel");
  void *arguments[] = {&dx, &dy, nullptr};
  expect_ok(ecud_launch(function, blocks, threads, threads * sizeof(double), arguments), "ecud_launch");
  std::vector<double> r = host(dy, x.size());
  for (unsigned b = 0; b < blocks; b++)
    for (unsigned t = 0; t < threads; t++) expect(r[b * threads + t], x[b * threads + threads - 1 - t], "dynamic shared memory", (int)(b * threads + t));
  ecud_free(dx);
  ecud_free(dy);
}

int main() {
  expect_ok(ecud_init(0, 0, nullptr), "ecud_init");
  gemm();
  convolution();
  shared_memory();
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
