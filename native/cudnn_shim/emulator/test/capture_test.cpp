// The emulator's CUDA graph capture through the ecud C API (linked with the emulator library and
// its real kernel modules): work queued while capturing does not run; each replay runs it again
// with the recorded argument values, reading what changed from device memory; calls CUDA refuses
// while capturing fail and invalidate the capture, whose end then names the first of them; replays
// allocate nothing.
#include <cstdio>
#include <cstring>
#include <vector>

#include "ecud.h"

static int failures, checks;

static void expect(bool condition, const char *what) {
  checks++;
  if (!condition) {
    failures++;
    std::printf("FAIL %s (last error: %s)\n", what, ecud_last_error());
  }
}

static double read(const double *p) {
  double v = 0;
  ecud_copy_to_host(&v, p, sizeof v);
  return v;
}

int main() {
  expect(ecud_init(0, 1, nullptr) == ECUD_OK, "ecud_init");
  void *a = nullptr, *b = nullptr, *c = nullptr, *fill = nullptr;
  expect(ecud_malloc(&a, sizeof(double)) == ECUD_OK && ecud_malloc(&b, sizeof(double)) == ECUD_OK &&
             ecud_malloc(&c, sizeof(double)) == ECUD_OK,
         "ecud_malloc");
  expect(ecud_kernel("memory", "fill_f64", &fill) == ECUD_OK, "ecud_kernel memory.fill_f64");
  double one = 1, two = 2;
  ecud_copy_to_device(a, &one, sizeof one);
  ecud_copy_to_device(b, &two, sizeof two);

  // The graph: c = 3 (a fill), then c = a·b + 0.5 c (a 1×1×1 gemm reading a and b at replay).
  expect(ecud_capture_begin() == ECUD_OK, "ecud_capture_begin");
  expect(ecud_capturing() == 1, "ecud_capturing while capturing");
  long long n = 1;
  double three = 3;
  void *arguments[] = {&n, &c, &three, nullptr};
  expect(ecud_launch(fill, 1, 32, 0, arguments) == ECUD_OK, "launch recorded");
  three = 99; // the record holds the value at capture, as cuLaunchKernel's copy does
  expect(ecud_gemm(ECUD_FLOAT64, 0, 0, 1, 1, 1, 1.0, a, b, 0.5, c) == ECUD_OK, "gemm recorded");
  void *graph = nullptr;
  expect(ecud_capture_end(&graph) == ECUD_OK && graph != nullptr, "ecud_capture_end");
  expect(ecud_capturing() == 0, "ecud_capturing after the capture");
  expect(read((double *)c) != read((double *)c) /* still the 0xFF fill: NaN */, "captured work did not run");

  size_t free_before = 0, free_after = 0, total = 0;
  ecud_memory_info(&free_before, &total);
  for (int step = 1; step <= 1000; step++) {
    double av = step;
    ecud_copy_to_device(a, &av, sizeof av); // what changes between replays lives in device memory
    expect(ecud_graph_launch(graph) == ECUD_OK, "ecud_graph_launch");
    if (step % 250 == 0) {
      char what[64];
      std::snprintf(what, sizeof what, "replay %d: c = %d·2 + 1.5", step, step);
      expect(read((double *)c) == 2.0 * step + 1.5, what);
    }
  }
  ecud_memory_info(&free_after, &total);
  expect(free_after == free_before, "1000 replays allocated no device memory");

  // Illegal calls: each fails naming itself, the capture is invalidated, its end names the first.
  const struct {
    const char *name;
    int (*call)(void *);
  } illegal[] = {
      {"ecud_synchronize", [](void *) { return ecud_synchronize(); }},
      {"ecud_malloc", [](void *) { void *p; return ecud_malloc(&p, 8); }},
      {"ecud_copy_to_host", [](void *p) { double v; return ecud_copy_to_host(&v, p, sizeof v); }},
      {"ecud_copy_to_device", [](void *p) { double v = 0; return ecud_copy_to_device(p, &v, sizeof v); }},
      {"ecud_free", [](void *p) { return ecud_free(p); }},
  };
  for (const auto &call : illegal) {
    expect(ecud_capture_begin() == ECUD_OK, "ecud_capture_begin");
    int status = call.call(c);
    char what[160];
    std::snprintf(what, sizeof what, "%s while capturing fails with ECUD_ERROR_CAPTURE naming it", call.name);
    expect(status == ECUD_ERROR_CAPTURE && std::strstr(ecud_last_error(), call.name) != nullptr, what);
    std::snprintf(what, sizeof what, "after %s, further work fails as invalidated", call.name);
    expect(ecud_memset(c, 0, 8) == ECUD_ERROR_CAPTURE && std::strstr(ecud_last_error(), "cudaErrorStreamCaptureInvalidated"), what);
    void *none = &none;
    status = ecud_capture_end(&none);
    std::snprintf(what, sizeof what, "the capture's end names %s", call.name);
    expect(status == ECUD_ERROR_CAPTURE && none == nullptr && std::strstr(ecud_last_error(), call.name) != nullptr, what);
  }
  expect(read((double *)c) == 2000 + 1.5, "c untouched by the invalidated captures");

  // A graph whose memory was freed fails at replay, naming the node.
  void *scratch = nullptr;
  ecud_malloc(&scratch, 8);
  ecud_capture_begin();
  ecud_memset(scratch, 0, 8);
  void *stale = nullptr;
  ecud_capture_end(&stale);
  ecud_free(scratch);
  expect(ecud_graph_launch(stale) == ECUD_ERROR_ARGUMENT && std::strstr(ecud_last_error(), "graph node 0") != nullptr,
         "replaying a graph over freed memory fails naming the node");
  expect(ecud_graph_destroy(stale) == ECUD_OK && ecud_graph_destroy(graph) == ECUD_OK, "ecud_graph_destroy");
  expect(ecud_graph_launch(graph) == ECUD_ERROR_ARGUMENT, "a destroyed graph is refused");

  // A kernel resolved before the capture is handed out again while capturing (the shim's own casts
  // resolve theirs at every call); one never resolved is refused (GPU run 5, bf16).
  void *again = nullptr, *other = nullptr;
  expect(ecud_capture_begin() == ECUD_OK, "ecud_capture_begin (kernels)");
  expect(ecud_kernel("memory", "fill_f64", &again) == ECUD_OK && again == fill, "a kernel resolved before is resolved again while capturing");
  expect(ecud_kernel("memory", "fill_f32", &other) == ECUD_ERROR_CAPTURE && std::strstr(ecud_last_error(), "ecud_kernel") != nullptr,
         "a kernel first resolved while capturing is refused");
  void *refused = &refused;
  expect(ecud_capture_end(&refused) == ECUD_ERROR_CAPTURE, "the capture that resolved a new kernel is invalidated");

  // bf16: a convolution captured after an eager one (its cast kernel and staging in place), replayed
  // after a larger convolution outgrew the staging and the workspace: the graph's blocks stay alive.
  expect(ecud_set_precision(ECUD_PRECISION_BF16) == ECUD_OK, "ecud_set_precision(bf16)");
  int xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2}, yd[4] = {1, 1, 2, 2}, pad[2] = {0, 0}, one2[2] = {1, 1};
  void *x = nullptr, *w = nullptr, *y = nullptr;
  ecud_malloc(&x, 9 * sizeof(float));
  ecud_malloc(&w, 4 * sizeof(float));
  ecud_malloc(&y, 4 * sizeof(float));
  float xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[4] = {1, 0, 0, 1}, yv[4] = {0, 0, 0, 0};
  ecud_copy_to_device(x, xv, sizeof xv);
  ecud_copy_to_device(w, wv, sizeof wv);
  expect(ecud_convolution(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, xd, wd, yd, pad, one2, one2, 1, x, w, y) == ECUD_OK, "bf16 convolution");
  expect(ecud_capture_begin() == ECUD_OK, "ecud_capture_begin (bf16)");
  expect(ecud_convolution(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, xd, wd, yd, pad, one2, one2, 1, x, w, y) == ECUD_OK,
         "a bf16 convolution is captured (its cast kernel resolved before)");
  void *half_graph = nullptr;
  expect(ecud_capture_end(&half_graph) == ECUD_OK, "ecud_capture_end (bf16)");
  int bxd[4] = {2, 4, 9, 9}, bwd[4] = {4, 4, 3, 3}, byd[4] = {2, 4, 7, 7};
  void *bx = nullptr, *bw = nullptr, *by = nullptr;
  ecud_malloc(&bx, 2 * 4 * 81 * sizeof(float));
  ecud_malloc(&bw, 4 * 4 * 9 * sizeof(float));
  ecud_malloc(&by, 2 * 4 * 49 * sizeof(float));
  ecud_memset(bx, 0, 2 * 4 * 81 * sizeof(float));
  ecud_memset(bw, 0, 4 * 4 * 9 * sizeof(float));
  ecud_algorithm found[16];
  int count = 0;
  expect(ecud_convolution_find(ECUD_CONV_FORWARD, ECUD_FLOAT32, 2, bxd, bwd, byd, pad, one2, one2, 1, bx, bw, by, (size_t)1 << 30, found, 16, &count) ==
                 ECUD_OK && count > 0,
         "a larger find (grows the workspace and the staging)");
  ecud_copy_to_device(y, yv, sizeof yv);
  expect(ecud_graph_launch(half_graph) == ECUD_OK, "the graph replays after its buffers were outgrown");
  float out[4] = {0, 0, 0, 0};
  ecud_copy_to_host(out, y, sizeof out);
  expect(out[0] == 6 && out[1] == 8 && out[2] == 12 && out[3] == 14, "and computes what it did");
  expect(ecud_graph_destroy(half_graph) == ECUD_OK, "ecud_graph_destroy (bf16)");
  ecud_set_precision(ECUD_PRECISION_STRICT);

  std::printf("%d checks, %s\n", checks, failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}
