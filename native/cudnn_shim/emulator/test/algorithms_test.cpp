// The emulator's measured-algorithm, staging and step-timing entry points, through the library:
// the find's candidate list (fastest first, the workspace limit honoured, determinism reported),
// ecud_convolution_with refusing what the list does not allow, the upload slots' protocol, and
// step times counted per step.
#include <cstdio>
#include <cstring>
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

static void *device(size_t count) {
  void *p = nullptr;
  expect(ecud_malloc(&p, count * sizeof(float)) == ECUD_OK, "ecud_malloc");
  std::vector<float> ones(count, 1.0f);
  expect(ecud_copy_to_device(p, ones.data(), count * sizeof(float)) == ECUD_OK, "ecud_copy_to_device");
  return p;
}

// 3×3 convolution, stride 1, pad 1: N 2, C 3 → K 4, 8×8.
static const int x_dims[] = {2, 3, 8, 8}, w_dims[] = {4, 3, 3, 3}, y_dims[] = {2, 4, 8, 8};
static const int pad[] = {1, 1}, stride[] = {1, 1}, dilation[] = {1, 1};
static const size_t problem_bytes = (2 * 3 * 64 + 4 * 27 + 2 * 4 * 64) * 4; // 3,968

static void find_and_run() {
  void *x = device(2 * 3 * 64), *w = device(4 * 27), *y = device(2 * 4 * 64);
  ecud_algorithm found[16];
  int n = 0;
  expect(ecud_convolution_find(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, (size_t)1 << 30,
                               found, 16, &n) == ECUD_OK, "find forward, big limit");
  expect(n == 5, "forward: five candidates for a 3x3 stride-1 convolution (Winograd among them)");
  expect(found[0].algo == 6 && found[0].status == 0, "forward: Winograd is the fastest");
  for (int i = 1; i < n; i++) expect(found[i].time_ms >= found[i - 1].time_ms, "forward: sorted by time");
  expect(found[0].workspace == problem_bytes / 4, "forward: Winograd's workspace is a quarter of the problem's bytes");

  // A limit below Winograd's workspace: it is listed as not run, after those that ran.
  expect(ecud_convolution_find(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, 500, found, 16,
                               &n) == ECUD_OK, "find forward, 500-byte limit");
  expect(n == 5 && found[0].algo == 1 && found[0].workspace <= 500, "forward under 500 bytes: the precomputed implicit GEMM is the fastest that fits");
  int ran = 0;
  for (int i = 0; i < n; i++) ran += found[i].status == 0;
  expect(ran == 2 && found[2].status != 0 && found[n - 1].status != 0, "forward under 500 bytes: two ran, the rest are marked not run");

  expect(ecud_convolution_find(ECUD_CONV_BACKWARD_FILTER, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y,
                               (size_t)1 << 30, found, 2, &n) == ECUD_OK, "find backward filter, capacity 2");
  expect(n == 2 && found[0].algo == 3 && found[0].deterministic == 0, "backward filter: ALGO_3 first, not deterministic");

  std::vector<float> ones(4 * 27, 1.0f); // the backward-filter find wrote w, as cuDNN's trials do
  ecud_copy_to_device(w, ones.data(), ones.size() * sizeof(float));
  expect(ecud_convolution_with(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, 6, 0,
                               problem_bytes / 4) == ECUD_OK, "run Winograd with its workspace");
  std::vector<float> out(2 * 4 * 64);
  ecud_copy_to_host(out.data(), y, out.size() * sizeof(float));
  expect(out[9 * 1 + 0] == 27.0f && out[0] == 12.0f, "the convolution of ones: 27 inside, 12 at a corner");
  expect(ecud_convolution_with(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, 6, 0, 100) ==
             ECUD_ERROR_CUDNN, "Winograd with too little workspace is refused");
  expect(ecud_convolution_with(ECUD_CONV_BACKWARD_DATA, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, 6, 0,
                               1 << 20) == ECUD_ERROR_CUDNN, "an algorithm backward data does not have is refused");
  const int stride2[] = {2, 2}, y2[] = {2, 4, 4, 4};
  expect(ecud_convolution_find(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y2, pad, stride2, dilation, 1, x, w, y, (size_t)1 << 30,
                               found, 16, &n) == ECUD_OK && n == 4, "stride 2: no Winograd candidate");
  expect(ecud_set_precision(ECUD_PRECISION_STRICT) == ECUD_OK, "strict");
  expect(ecud_convolution_with(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, x_dims, w_dims, y_dims, pad, stride, dilation, 1, x, w, y, 1, 0, 1 << 20) ==
             ECUD_ERROR_CUDNN, "strict: a math type other than the find's (FMA) is refused");
  expect(ecud_set_precision(ECUD_PRECISION_TF32) == ECUD_OK, "tf32");
  for (void *p : {x, w, y}) ecud_free(p);
}

static void staging_and_timing() {
  void *pinned = nullptr, *buffer = device(16);
  expect(ecud_host_alloc(&pinned, 64) == ECUD_OK, "ecud_host_alloc");
  float values[16];
  for (int i = 0; i < 16; i++) values[i] = (float)i;
  std::memcpy(pinned, values, sizeof values);
  std::vector<float> host(16);
  expect(ecud_upload(0, buffer, values, 64) == ECUD_ERROR_ARGUMENT, "an upload from pageable memory is refused");
  expect(ecud_upload(0, buffer, pinned, 64) == ECUD_OK, "upload slot 0");
  expect(ecud_upload(0, buffer, pinned, 32) == ECUD_OK, "a second copy into slot 0 before the wait (a batch's labels)");
  expect(ecud_upload_release(0) == ECUD_ERROR_ARGUMENT, "releasing before waiting is refused");
  expect(ecud_upload_wait(0) == ECUD_OK, "wait");
  expect(ecud_upload(0, buffer, pinned, 64) == ECUD_ERROR_ARGUMENT, "slot 0 again after the wait and before its release is refused");
  expect(ecud_upload(1, buffer, pinned, 64) == ECUD_ERROR_ARGUMENT, "slot 1 while slot 0 is not released is refused (no overlap)");
  expect(ecud_upload_release(0) == ECUD_OK, "release");
  expect(ecud_upload(1, buffer, pinned, 64) == ECUD_OK && ecud_upload_wait(1) == ECUD_OK && ecud_upload_release(1) == ECUD_OK, "slot 1 after");
  expect(ecud_upload_sync(0) == ECUD_OK && ecud_upload_sync(2) == ECUD_ERROR_ARGUMENT, "sync slot 0; slot 2 does not exist");
  ecud_copy_to_host(host.data(), buffer, 64);
  expect(host[15] == 15.0f, "the uploaded values arrived");

  expect(ecud_step_end() == ECUD_ERROR_ARGUMENT, "a step cannot end before it begins");
  for (int i = 0; i < 3; i++) expect(ecud_step_begin() == ECUD_OK && ecud_step_end() == ECUD_OK, "step marks");
  float busy[8], idle[8];
  int count = 0;
  expect(ecud_step_times(busy, idle, 8, &count) == ECUD_OK && count == 3, "three steps timed");
  expect(idle[0] == 0.0f && idle[1] >= 0.0f && busy[2] >= 0.0f, "idle before the first step is 0, others not negative");
  expect(ecud_step_times(busy, idle, 8, &count) == ECUD_OK && count == 0, "the marks are forgotten once read");

  void *graph = nullptr;
  expect(ecud_capture_begin() == ECUD_OK, "capture");
  expect(ecud_step_begin() == ECUD_ERROR_CAPTURE, "step marks are refused while capturing");
  expect(ecud_capture_end(&graph) == ECUD_ERROR_CAPTURE, "the capture is invalidated");
  expect(ecud_host_free(pinned) == ECUD_OK && ecud_host_free(values) == ECUD_ERROR_ARGUMENT, "free pinned; pageable is refused");
  ecud_free(buffer);
}

int main() {
  if (ecud_init(0, 0, nullptr) != ECUD_OK) {
    std::printf("FAIL ecud_init: %s\n", ecud_last_error());
    return 1;
  }
  find_and_run();
  staging_and_timing();
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
