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

  std::printf("%d checks, %s\n", checks, failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}
