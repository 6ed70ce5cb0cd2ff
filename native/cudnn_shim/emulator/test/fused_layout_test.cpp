// Version 4 of the C API on the emulator, through the library: the fused forward equals the
// convolution followed by bias and ReLU (computed here), refuses identity with any algorithm but
// IMPLICIT_PRECOMP_GEMM (cuDNN's rule) and bf16/fp16; an NHWC convolution of transposed operands
// equals the NCHW one transposed, for every pass, bit for bit.
#include <cmath>
#include <cstdio>
#include <vector>

#include "ecud.h"

static int failures, checks;

static void expect(bool ok, const char *what) {
  checks++;
  if (!ok) {
    failures++;
    std::printf("FAIL %s (last error: %s)\n", what, ecud_last_error());
  }
}

// N 2, C 4 → K 6 in 2 groups, 5×6, 3×3, stride 1, pad 1.
static const int N = 2, C = 4, K = 6, H = 5, W = 6, G = 2, R = 3;
static const int x_dims[] = {N, C, H, W}, w_dims[] = {K, C / G, R, R}, y_dims[] = {N, K, H, W};
static const int pad[] = {1, 1}, stride[] = {1, 1}, dilation[] = {1, 1};
static const size_t xc = N * C * H * W, wc = K * (C / G) * R * R, yc = N * K * H * W;

static std::vector<float> values(size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = (float)(((i * 2654435761u + seed * 40503u) % 1000) / 500.0 - 1.0);
  return v;
}

static void *upload(const std::vector<float> &v) {
  void *p = nullptr;
  expect(ecud_malloc(&p, v.size() * sizeof(float)) == ECUD_OK, "ecud_malloc");
  expect(ecud_copy_to_device(p, v.data(), v.size() * sizeof(float)) == ECUD_OK, "ecud_copy_to_device");
  return p;
}

static std::vector<float> download(void *p, size_t n) {
  std::vector<float> v(n);
  expect(ecud_copy_to_host(v.data(), p, n * sizeof(float)) == ECUD_OK, "ecud_copy_to_host");
  return v;
}

// b×c×s ↔ b×s×c.
static std::vector<float> channels_last(const std::vector<float> &v, int b, int c, int s) {
  std::vector<float> out(v.size());
  for (int i = 0; i < b; i++)
    for (int j = 0; j < c; j++)
      for (int k = 0; k < s; k++) out[((size_t)i * s + k) * c + j] = v[((size_t)i * c + j) * s + k];
  return out;
}

static void fused() {
  std::vector<float> xv = values(xc, 1), wv = values(wc, 2), bv = values(K, 3);
  void *x = upload(xv), *w = upload(wv), *bias = upload(bv), *y = upload(std::vector<float>(yc, NAN));
  expect(ecud_convolution(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, y) == ECUD_OK, "convolution");
  std::vector<float> plain = download(y, yc);
  expect(ecud_convolution_bias_activation(ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, bias, y, 1, -1, 0, 0) == ECUD_OK,
         "fused ReLU, the shim's algorithm");
  std::vector<float> relu = download(y, yc);
  int cut = 0, exact = 1;
  for (size_t i = 0; i < yc; i++) {
    float v = plain[i] + bv[i / (H * W) % K];
    float expected = v > 0 ? v : 0.0f;
    cut += expected == 0;
    exact &= relu[i] == expected;
  }
  expect(exact, "fused ReLU = max(conv + bias, 0)");
  expect(cut > 0 && cut < (int)yc, "ReLU cut some values, not all");
  expect(ecud_convolution_bias_activation(ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, bias, y, 0, 1, 0, 1 << 20) == ECUD_OK,
         "identity with IMPLICIT_PRECOMP_GEMM");
  std::vector<float> identity = download(y, yc);
  exact = 1;
  for (size_t i = 0; i < yc; i++) exact &= identity[i] == plain[i] + bv[i / (H * W) % K];
  expect(exact, "identity = conv + bias");
  expect(ecud_convolution_bias_activation(ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, bias, y, 0, 0, 0, 1 << 20) ==
             ECUD_ERROR_CUDNN, "identity with IMPLICIT_GEMM is refused, as cuDNN refuses it");
  expect(ecud_set_precision(ECUD_PRECISION_BF16) == ECUD_OK, "bf16");
  expect(ecud_convolution_bias_activation(ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, bias, y, 1, -1, 0, 0) ==
             ECUD_ERROR_ARGUMENT, "refused under bf16");
  expect(ecud_set_precision(ECUD_PRECISION_TF32) == ECUD_OK, "back to TF32");
  for (void *p : {x, w, bias, y}) ecud_free(p);
}

static void layouts() {
  std::vector<float> xv = values(xc, 4), wv = values(wc, 5), yv = values(yc, 6);
  int passes[] = {ECUD_CONV_FORWARD, ECUD_CONV_BACKWARD_DATA, ECUD_CONV_BACKWARD_FILTER};
  for (int pass : passes) {
    void *x = upload(xv), *w = upload(wv), *y = upload(yv);
    expect(ecud_convolution(pass, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, x, w, y) == ECUD_OK, "NCHW");
    std::vector<float> nchw = pass == ECUD_CONV_FORWARD ? download(y, yc) : pass == ECUD_CONV_BACKWARD_DATA ? download(x, xc) : download(w, wc);
    void *xl = upload(channels_last(xv, N, C, H * W)), *wl = upload(channels_last(wv, K, C / G, R * R)), *yl = upload(channels_last(yv, N, K, H * W));
    expect(ecud_set_layout(ECUD_LAYOUT_NHWC) == ECUD_OK, "ecud_set_layout(NHWC)");
    expect(ecud_convolution(pass, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, G, xl, wl, yl) == ECUD_OK, "NHWC");
    expect(ecud_set_layout(ECUD_LAYOUT_NCHW) == ECUD_OK, "ecud_set_layout(NCHW)");
    std::vector<float> nhwc = pass == ECUD_CONV_FORWARD ? download(yl, yc) : pass == ECUD_CONV_BACKWARD_DATA ? download(xl, xc) : download(wl, wc);
    std::vector<float> expected = pass == ECUD_CONV_FORWARD ? channels_last(nchw, N, K, H * W)
                                  : pass == ECUD_CONV_BACKWARD_DATA ? channels_last(nchw, N, C, H * W)
                                                                    : channels_last(nchw, K, C / G, R * R);
    expect(nhwc == expected, pass == ECUD_CONV_FORWARD ? "NHWC forward = NCHW transposed"
                             : pass == ECUD_CONV_BACKWARD_DATA ? "NHWC backward data = NCHW transposed" : "NHWC backward filter = NCHW transposed");
    for (void *p : {x, w, y, xl, wl, yl}) ecud_free(p);
  }
  expect(ecud_set_layout(7) == ECUD_ERROR_ARGUMENT, "an unknown layout is refused");
}

int main() {
  if (ecud_init(0, 0, nullptr) != ECUD_OK) {
    std::printf("FAIL ecud_init: %s\n", ecud_last_error());
    return 1;
  }
  expect(ecud_version() == 4, "C API version 4");
  fused();
  layouts();
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
