// Host emulation of the elementwise, channels, metrics and random kernel modules: each module is
// compiled here as plain C++ (the same text NVRTC gets: common.cuh then the module), after a
// prelude that turns the CUDA keywords into nothing and makes blockIdx/blockDim/gridDim globals
// and threadIdx thread-local. The one-thread-per-output kernels run once per (block, thread) in
// turn, on a 2×3 grid so that the grid-stride indexing is exercised. The block reductions run each
// block as 256 real threads sharing the __shared__ arrays (made static) and meeting at
// __syncthreads (a barrier), so their tree is exercised as on the GPU. The expected numbers are
// the CPU backend's semantics; the random ones were printed by a .NET program calling
// Engine.CounterRandom (see the comment at those tables).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

using std::cos;
using std::exp;
using std::fabs;
using std::log;
using std::sin;
using std::sqrt;
using std::tanh;

#define __global__
#define __device__
#define __forceinline__ inline
// One array per kernel instantiation, shared by the threads of the block being emulated.
#define __shared__ static

struct EmulatedDim {
  unsigned x;
};
static EmulatedDim blockIdx{0}, blockDim{1}, gridDim{1};
static thread_local EmulatedDim threadIdx{0};

// __syncthreads: every thread of the block waits until all have arrived.
class BlockBarrier {
 public:
  void reset(unsigned threads) { total_ = threads, arrived_ = 0; }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    unsigned generation = generation_;
    if (++arrived_ == total_) {
      arrived_ = 0;
      generation_++;
      all_arrived_.notify_all();
    } else {
      all_arrived_.wait(lock, [&] { return generation != generation_; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_arrived_;
  unsigned total_ = 1, arrived_ = 0, generation_ = 0;
};
static BlockBarrier block_barrier;
static inline void __syncthreads() { block_barrier.wait(); }
// The CUDA intrinsics the modules use: round-to-nearest operations (never fused; this file is
// compiled with -ffp-contract=off) and bit casts.
static inline double __dmul_rn(double a, double b) { return a * b; }
static inline double __dadd_rn(double a, double b) { return a + b; }
static inline double __dsub_rn(double a, double b) { return a - b; }
static inline int __float_as_int(float v) { int r; std::memcpy(&r, &v, 4); return r; }
static inline float __int_as_float(int v) { float r; std::memcpy(&r, &v, 4); return r; }
static inline long long __double_as_longlong(double v) { long long r; std::memcpy(&r, &v, 8); return r; }
static inline double __longlong_as_double(long long v) { double r; std::memcpy(&r, &v, 8); return r; }

namespace elementwise {
#include "common.cuh"
#include "elementwise.cu"
}  // namespace elementwise
namespace channels {
#include "common.cuh"
#include "channels.cu"
}  // namespace channels
namespace metrics {
#include "common.cuh"
#include "metrics.cu"
}  // namespace metrics
namespace random_kernels {
#include "common.cuh"
#include "random.cu"
}  // namespace random_kernels

using namespace elementwise;
using namespace channels;
using namespace metrics;
using namespace random_kernels;

// Runs body once per (block, thread) of a grid × block launch.
template <typename Body> static void launch(unsigned grid, unsigned block, Body body) {
  gridDim.x = grid;
  blockDim.x = block;
  for (unsigned b = 0; b < grid; b++)
    for (unsigned t = 0; t < block; t++) {
      blockIdx.x = b;
      threadIdx.x = t;
      body();
    }
}
// One-thread-per-output kernels: a small grid whose stride is smaller than the data.
template <typename Body> static void run(Body body) { launch(2, 3, body); }
// Block reductions: the managed side's launch shape (256 threads per block), each block's threads
// run concurrently; blocks one after the other.
template <typename Body> static void run_blocks(unsigned grid, Body body) {
  const unsigned threads = 256;
  gridDim.x = grid;
  blockDim.x = threads;
  block_barrier.reset(threads);
  for (unsigned b = 0; b < grid; b++) {
    blockIdx.x = b;
    std::vector<std::thread> block;
    for (unsigned t = 0; t < threads; t++)
      block.emplace_back([&body, t] {
        threadIdx.x = t;
        body();
      });
    for (std::thread& thread : block) thread.join();
  }
}

static int failures, checks;
static const double NaN = std::numeric_limits<double>::quiet_NaN();
static const double Inf = std::numeric_limits<double>::infinity();
static const float NaNf = std::numeric_limits<float>::quiet_NaN();

// Equal within tolerance, NaN equal to NaN, infinities equal to themselves; signed zero checked
// when sign is set.
static void expect(double actual, double expected, double tolerance, const char* what, int index, bool sign = false) {
  checks++;
  bool ok;
  if (std::isnan(expected)) ok = std::isnan(actual);
  else if (std::isinf(expected)) ok = actual == expected;
  else ok = fabs(actual - expected) <= tolerance * (1 + fabs(expected));
  if (ok && sign && std::signbit(actual) != std::signbit(expected)) ok = false;
  if (!ok) {
    failures++;
    std::printf("FAIL %s [%d]: got %.17g, expected %.17g\n", what, index, actual, expected);
  }
}

static void expect_bits(uint64_t actual, uint64_t expected, const char* what, int index) {
  checks++;
  if (actual != expected) {
    failures++;
    std::printf("FAIL %s [%d]: bits %016llx, expected %016llx\n", what, index, (unsigned long long)actual, (unsigned long long)expected);
  }
}

static uint64_t bits(double v) { uint64_t r; std::memcpy(&r, &v, 8); return r; }
static uint32_t bits(float v) { uint32_t r; std::memcpy(&r, &v, 4); return r; }

static double reference_sigmoid(double v) { return 1 / (1 + exp(-v)); }

static const double inputs[] = {-2.0, -0.0, 0.0, 0.5, 3.0, NaN, -Inf, Inf};
static const int input_count = 8;

static void test_unary() {
  double x[input_count], y[input_count];
  float xf[input_count], yf[input_count];
  for (int i = 0; i < input_count; i++) xf[i] = (float)(x[i] = inputs[i]);
  for (int op = 0; op <= 10; op++) {
    run([&] { unary_f64(input_count, op, x, y); });
    run([&] { unary_f32(input_count, op, xf, yf); });
    for (int i = 0; i < input_count; i++) {
      double v = x[i], e = 0;
      switch (op) {
        case 0: e = v; break;
        case 1: e = -v; break;
        case 2: e = fabs(v); break;
        case 3: e = v * v; break;
        case 4: e = sqrt(v); break;
        case 5: e = exp(v); break;
        case 6: e = log(v); break;
        case 7: e = std::isnan(v) ? NaN : v > 0 ? v : 0.0; break;  // NaN stays (CUDA's fmax would give 0)
        case 8: e = reference_sigmoid(v); break;
        case 9: e = tanh(v); break;
        case 10: e = std::isnan(v) ? NaN : v > 0 ? 1 : v < 0 ? -1 : 0.0; break;
      }
      char what[32];
      std::snprintf(what, sizeof what, "unary op %d f64", op);
      expect(y[i], e, 1e-15, what, i, op != 10 && op != 7);
      std::snprintf(what, sizeof what, "unary op %d f32", op);
      expect(yf[i], e, 1e-6, what, i);
    }
  }
  // Hand values: relu(−0) = +0 (max(−0, +0) is +0), sign(−0) = 0, sigmoid(0) = 0.5.
  run([&] { unary_f64(input_count, 7, x, y); });
  expect(y[1], 0.0, 0, "relu(-0) is +0", 1, true);
  run([&] { unary_f64(input_count, 8, x, y); });
  expect(y[2], 0.5, 0, "sigmoid(0)", 2);
  expect(y[6], 0.0, 0, "sigmoid(-inf)", 6);
  // In place (y is x).
  double z[3] = {-1, 4, 9};
  run([&] { unary_f64(3, 4, z, z); });
  expect(z[2], 3, 0, "sqrt in place", 2);
}

static void test_binary() {
  const double a[] = {1, -2, NaN, 1, -0.0, 0.0, 6};
  const double b[] = {3, 5, 1, NaN, 0.0, -0.0, -3};
  const int n = 7;
  double y[n];
  // Max and min: NaN from either side, +0 above −0 whatever the order.
  const double max_expected[] = {3, 5, NaN, NaN, 0.0, 0.0, 6};
  const double min_expected[] = {1, -2, NaN, NaN, -0.0, -0.0, -3};
  run([&] { binary_f64(n, 4, a, b, y); });
  for (int i = 0; i < n; i++) expect(y[i], max_expected[i], 0, "max", i, true);
  run([&] { binary_f64(n, 5, a, b, y); });
  for (int i = 0; i < n; i++) expect(y[i], min_expected[i], 0, "min", i, true);
  run([&] { binary_f64(n, 0, a, b, y); });
  expect(y[1], 3, 0, "add", 1);
  run([&] { binary_f64(n, 1, a, b, y); });
  expect(y[0], -2, 0, "subtract", 0);
  run([&] { binary_f64(n, 2, a, b, y); });
  expect(y[6], -18, 0, "multiply", 6);
  run([&] { binary_f64(n, 3, a, b, y); });
  expect(y[6], -2, 0, "divide", 6);
  float af[] = {1.5f, NaNf}, bf[] = {2.0f, 1.0f}, yf[2];
  run([&] { binary_f32(2, 4, af, bf, yf); });
  expect(yf[0], 2, 0, "max f32", 0);
  expect(yf[1], NaN, 0, "max f32 NaN", 1);
  // y is b.
  double c[] = {1, 2}, d[] = {10, 20};
  run([&] { binary_f64(2, 1, c, d, d); });
  expect(d[1], -18, 0, "subtract into b", 1);
}

static void test_axpby() {
  double x[] = {1, 2, NaN}, y[3];
  // β = 0 ignores y's NaN; α = 0 and β = 0 gives zeros even where x is NaN.
  y[0] = NaN, y[1] = NaN, y[2] = 5;
  run([&] { axpby_f64(3, 2.0, x, 0.0, y, 0); });
  expect(y[0], 2, 0, "axpby beta 0", 0);
  expect(y[1], 4, 0, "axpby beta 0", 1);
  expect(y[2], NaN, 0, "axpby beta 0 x NaN", 2);
  y[0] = NaN;
  run([&] { axpby_f64(3, 0.0, x, 0.0, y, 0); });
  for (int i = 0; i < 3; i++) expect(y[i], 0, 0, "axpby alpha 0 beta 0", i);
  double y2[] = {10, 20, 30};
  run([&] { axpby_f64(2, 3.0, x, 0.5, y2, 0); });
  expect(y2[0], 8, 0, "axpby general", 0);
  expect(y2[1], 16, 0, "axpby general", 1);
  expect(y2[2], 30, 0, "axpby untouched", 2);
  // α = 0, β ≠ 0: x's NaN does not enter.
  double y3[] = {10, 20, 30};
  run([&] { axpby_f64(3, 0.0, x, 2.0, y3, 0); });
  expect(y3[2], 60, 0, "axpby alpha 0", 2);
  // Aliased: (α + β)·y.
  double w[] = {1, -2, 4};
  run([&] { axpby_f64(3, 2.0, w, 3.0, w, 1); });
  expect(w[1], -10, 0, "axpby aliased", 1);
  float xf[] = {1, 2}, yf[] = {1, 1};
  run([&] { axpby_f32(2, 0.5, xf, 1.0, yf, 0); });
  expect(yf[1], 2, 0, "axpby f32 beta 1", 1);
}

static void test_activations() {
  const double x[] = {-2, -0.5, 0, 0.5, 3, NaN};
  const int n = 6;
  double y[n], dx[n];
  const double dy[] = {1, 2, 3, 4, 5, 6};
  // Leaky ReLU with α = 2 (a select, not max(x, αx), which would give x for x < 0).
  run([&] { activation_forward_f64(n, 3, x, y, 2.0); });
  const double leaky[] = {-4, -1, 0, 0.5, 3, NaN};
  for (int i = 0; i < n; i++) expect(y[i], leaky[i], 0, "leaky relu alpha 2", i);
  // ELU α = 1.5.
  run([&] { activation_forward_f64(n, 4, x, y, 1.5); });
  for (int i = 0; i < n; i++) {
    double e = std::isnan(x[i]) ? NaN : x[i] > 0 ? x[i] : 1.5 * (exp(x[i]) - 1);
    expect(y[i], e, 1e-15, "elu", i);
  }
  double elu[n];
  for (int i = 0; i < n; i++) elu[i] = y[i];
  run([&] { activation_backward_f64(n, 4, x, elu, dy, dx, 1.5); });
  for (int i = 0; i < n; i++) {
    double e = x[i] > 0 ? dy[i] : dy[i] * (elu[i] + 1.5);
    expect(dx[i], e, 1e-15, "elu backward", i);
  }
  // ReLU: the gradient at 0 is the negative side's.
  run([&] { activation_forward_f64(n, 0, x, y, 0); });
  expect(y[5], NaN, 0, "relu NaN", 5);
  run([&] { activation_backward_f64(n, 0, x, y, dy, dx, 0); });
  const double relu_grad[] = {0, 0, 0, 4, 5, 0};
  for (int i = 0; i < n; i++) expect(dx[i], relu_grad[i], 0, "relu backward", i);
  run([&] { activation_backward_f64(n, 3, x, y, dy, dx, 0.1); });
  expect(dx[0], 0.1, 1e-15, "leaky backward", 0);
  expect(dx[4], 5, 0, "leaky backward", 4);
  // Sigmoid and tanh read y.
  run([&] { activation_forward_f64(n, 1, x, y, 0); });
  expect(y[3], reference_sigmoid(0.5), 1e-15, "sigmoid", 3);
  run([&] { activation_backward_f64(n, 1, x, y, dy, dx, 0); });
  expect(dx[3], 4 * y[3] * (1 - y[3]), 1e-15, "sigmoid backward", 3);
  run([&] { activation_forward_f64(n, 2, x, y, 0); });
  expect(y[0], tanh(-2.0), 1e-15, "tanh", 0);
  run([&] { activation_backward_f64(n, 2, x, y, dy, dx, 0); });
  expect(dx[0], 1 - y[0] * y[0], 1e-15, "tanh backward", 0);
  // dx aliasing dy.
  double g[] = {1, 2, 3, 4, 5, 6};
  run([&] { activation_backward_f64(n, 0, x, y, g, g, 0); });
  expect(g[3], 4, 0, "relu backward in place", 3);
  expect(g[0], 0, 0, "relu backward in place", 0);
  float xf[] = {-1.0f, 2.0f}, yf[2];
  run([&] { activation_forward_f32(2, 3, xf, yf, 0.25); });
  expect(yf[0], -0.25, 0, "leaky f32", 0);
}

static void test_channels() {
  // N = 2, C = 3, S = 2.
  double y[12];
  for (int i = 0; i < 12; i++) y[i] = i;
  const double bias[] = {100, 200, 300};
  run([&] { add_channel_bias_f64(12, y, bias, 3, 2); });
  expect(y[0], 100, 0, "bias", 0);
  expect(y[3], 203, 0, "bias", 3);
  expect(y[11], 311, 0, "bias", 11);
  double x[12];
  for (int i = 0; i < 12; i++) x[i] = i;
  // Σ over (n, s) of channel c: c=0: 0+1+6+7 = 14; c=1: 2+3+8+9 = 22; c=2: 4+5+10+11 = 30.
  double sums[] = {NaN, 1, 2};
  run_blocks(2, [&] { sum_channels_planes_f64(2, 3, 2, x, sums, 0.0); });
  expect(sums[0], 14, 0, "sum channels beta 0 ignores NaN", 0);
  expect(sums[2], 30, 0, "sum channels", 2);
  run_blocks(2, [&] { sum_channels_planes_f64(2, 3, 2, x, sums, 0.5); });
  expect(sums[1], 11 + 22, 0, "sum channels beta", 1);
  // N×C rows (S = 1): N = 4, C = 3.
  double sums_rows[] = {NaN, 10, 10};
  run([&] { sum_channels_rows_f64(4, 3, x, sums_rows, 0.0); });
  expect(sums_rows[0], 0 + 3 + 6 + 9, 0, "sum channels rows beta 0", 0);
  run([&] { sum_channels_rows_f64(4, 3, x, sums_rows, 2.0); });
  expect(sums_rows[2], 2 * 26 + 26, 0, "sum channels rows beta 2", 2);
  // Scale and copy.
  const double scale[] = {2, 3, 4};
  double scaled[12];
  run([&] { scale_channels_f64(12, x, scale, scaled, 3, 2); });
  expect(scaled[5], 20, 0, "scale channels", 5);
  expect(scaled[8], 24, 0, "scale channels", 8);
  // Channels 1..2 of x (N = 2, C = 3, S = 2) into channels 0..1 of a C = 4 destination.
  double destination[16];
  for (int i = 0; i < 16; i++) destination[i] = -1;
  run([&] { copy_channels_f64(2 * 2 * 2, x, 3, 1, destination, 4, 0, 2, 2); });
  const double copied[] = {2, 3, 4, 5, -1, -1, -1, -1, 8, 9, 10, 11, -1, -1, -1, -1};
  for (int i = 0; i < 16; i++) expect(destination[i], copied[i], 0, "copy channels", i);
}

static void test_sum() {
  // In float the running sum would lose the ones (1e8 + 1 = 1e8); in double it is exact.
  float x[] = {1e8f, 1, 1, 1, 1, -1e8f};
  float result = -1;
  run_blocks(1, [&] { sum_f32(6, x, &result); });
  expect(result, 4, 0, "sum in double", 0);
  double empty_result = 7;
  const double* none = nullptr;
  run_blocks(1, [&] { sum_f64(0, none, &empty_result); });
  expect(empty_result, 0, 0, "sum of nothing", 0);
  // More elements than threads (1000 over 256): whole numbers, so any order gives the exact total.
  static double many[1000];
  for (int i = 0; i < 1000; i++) many[i] = i;
  double total = 0, squares = NaN;
  run_blocks(1, [&] { sum_f64(1000, many, &total); });
  expect(total, 499500, 0, "sum of 0..999", 0);
  run_blocks(1, [&] { sum_of_squares_f64(1000, many, &squares, 0.0); });
  expect(squares, 332833500, 0, "sum of squares of 0..999", 0);
  // Per channel over N = 3, S = 37 (111 values a channel, so some threads have none), 2 blocks for 5 channels.
  static double planes[3 * 5 * 37];
  for (int i = 0; i < 3 * 5 * 37; i++) planes[i] = i;
  double channel_sums[5];
  run_blocks(2, [&] { sum_channels_planes_f64(3, 5, 37, planes, channel_sums, 0.0); });
  for (int c = 0; c < 5; c++) {
    double e = 0;
    for (int n = 0; n < 3; n++)
      for (int j = 0; j < 37; j++) e += (n * 5 + c) * 37 + j;
    expect(channel_sums[c], e, 0, "sum channels 3x5x37", c);
  }
}

static void test_softmax() {
  const int rows = 3, columns = 3;
  const double x[] = {1, 2, 3, -1000, 0, 1000, 0, NaN, 1};
  double y[9], logy[9];
  run([&] { softmax_f64(rows, columns, x, y, 0); });
  run([&] { softmax_f64(rows, columns, x, logy, 1); });
  for (int r = 0; r < 2; r++) {
    double max = x[r * 3];
    for (int j = 1; j < 3; j++) max = x[r * 3 + j] > max ? x[r * 3 + j] : max;
    double sum = 0;
    for (int j = 0; j < 3; j++) sum += exp(x[r * 3 + j] - max);
    for (int j = 0; j < 3; j++) {
      expect(y[r * 3 + j], exp(x[r * 3 + j] - max) / sum, 1e-15, "softmax", r * 3 + j);
      expect(logy[r * 3 + j], x[r * 3 + j] - max - log(sum), 1e-15, "log softmax", r * 3 + j);
    }
  }
  expect(y[5], 1, 0, "softmax large logits", 5);
  expect(y[3], 0, 0, "softmax large logits", 3);
  for (int j = 6; j < 9; j++) {
    expect(y[j], NaN, 0, "softmax row with NaN", j);
    expect(logy[j], NaN, 0, "log softmax row with NaN", j);
  }
  // In place (y is x), float.
  float xf[] = {0, 0, 0, 0, 1, 2};
  float expected_f[6];
  for (int j = 0; j < 3; j++) expected_f[j] = 1.0f / 3;
  {
    double s = exp(-2.0) + exp(-1.0) + 1;
    expected_f[3] = (float)(exp(-2.0) / s), expected_f[4] = (float)(exp(-1.0) / s), expected_f[5] = (float)(1 / s);
  }
  run([&] { softmax_f32(2, 3, xf, xf, 0); });
  for (int j = 0; j < 6; j++) expect(xf[j], expected_f[j], 1e-6, "softmax f32 in place", j);
  // Backward, from the first row's probabilities.
  const double dy[] = {1, -2, 0.5};
  double dx[3];
  run([&] { softmax_backward_f64(1, 3, y, dy, dx, 0); });
  double dot = dy[0] * y[0] + dy[1] * y[1] + dy[2] * y[2];
  for (int j = 0; j < 3; j++) expect(dx[j], (dy[j] - dot) * y[j], 1e-15, "softmax backward", j);
  run([&] { softmax_backward_f64(1, 3, logy, dy, dx, 1); });
  double sum_dy = dy[0] + dy[1] + dy[2];
  for (int j = 0; j < 3; j++) expect(dx[j], dy[j] - exp(logy[j]) * sum_dy, 1e-15, "log softmax backward", j);
  // dx is dy.
  double g[] = {1, -2, 0.5};
  run([&] { softmax_backward_f64(1, 3, y, g, g, 0); });
  expect(g[1], (dy[1] - dot) * y[1], 1e-15, "softmax backward in place", 1);
}

static void test_metrics() {
  // One-hot: labels outside [0, K) give zero rows.
  const int labels[] = {2, -1, 0, 3};
  double onehot[12];
  run([&] { one_hot_f64(12, 3, labels, onehot); });
  const double onehot_expected[] = {0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0};
  for (int i = 0; i < 12; i++) expect(onehot[i], onehot_expected[i], 0, "one hot", i);

  // Loss: acc[0] += w·v; acc[1] = the first step whose value is not finite.
  double acc[2] = {0, 0};
  float v1 = 2.5f;
  run([&] { accumulate_loss_f32(&v1, 0.5, 1, acc); });
  expect(acc[0], 1.25, 0, "loss sum", 0);
  expect(acc[1], 0, 0, "loss no bad step", 1);
  float v2 = (float)Inf;
  run([&] { accumulate_loss_f32(&v2, 0.5, 2, acc); });
  float v3 = (float)NaN;
  run([&] { accumulate_loss_f32(&v3, 0.5, 3, acc); });
  expect(acc[1], 2, 0, "loss first bad step", 1);
  expect(acc[0], NaN, 0, "loss sum after inf and NaN", 0);
  double acc2[2] = {1, 0}, v4 = 3;
  run([&] { accumulate_loss_f64(&v4, -2, 5, acc2); });
  expect(acc2[0], -5, 0, "loss f64", 0);

  // Top-k with K = 4, counts for k = 1, 2, 3.
  const float logits[] = {
      1, 3, 3, 0,    // label 2: tie with index 1 (lower) → rank 1
      1, 3, 3, 0,    // label 1: the tie goes to it → rank 0
      NaNf, 1, 0, 0,  // label 1: a NaN elsewhere ranks above → rank 1
      NaNf, 1, 0, 0,  // label 0: own logit NaN → never counted
      5, 4, 3, 2,    // label 7: out of range → skipped
      0, 0, 0, 1,    // label 0: rank 1 (index 3 greater), ties at higher indices do not count
      0, 1, 2, 3,    // label 0: rank 3 → only top-4, not counted in k ≤ 3
  };
  const int topk_labels[] = {2, 1, 1, 0, 7, 0, 0};
  int ranks[7];
  run([&] { topk_rank_f32(7, 4, logits, topk_labels, ranks); });
  const int ranks_expected[] = {1, 0, 1, 4, 4, 1, 3};
  for (int i = 0; i < 7; i++) expect(ranks[i], ranks_expected[i], 0, "top-k rank", i);
  double counts[3] = {10, 0, 0};
  run([&] { topk_count(3, 7, ranks, counts); });
  expect(counts[0], 11, 0, "top-1 count", 0);
  expect(counts[1], 4, 0, "top-2 count", 1);
  expect(counts[2], 4, 0, "top-3 count", 2);

  // Confusion: first maximum, first NaN.
  const double conf_logits[] = {
      1, 1, 1,    // label 0 → predicted 0 (ties: first)
      0, 2, 2,    // label 2 → predicted 1
      0, 1, NaN,  // label 1 → predicted 2 (NaN)
      NaN, 5, 9,  // label 3 → skipped
  };
  const int conf_labels[] = {0, 2, 1, 3};
  double matrix[9] = {0};
  run([&] { confusion_f64(4, 3, conf_logits, conf_labels, matrix); });
  const double matrix_expected[] = {1, 0, 0, 0, 0, 1, 0, 1, 0};
  for (int i = 0; i < 9; i++) expect(matrix[i], matrix_expected[i], 0, "confusion", i);

  // Sum of squares and clipping.
  float squares[] = {3, 4};
  double s = NaN;
  run_blocks(1, [&] { sum_of_squares_f32(2, squares, &s, 0.0); });
  expect(s, 25, 0, "sum of squares beta 0 ignores NaN", 0);
  run_blocks(1, [&] { sum_of_squares_f32(2, squares, &s, 2.0); });
  expect(s, 75, 0, "sum of squares beta 2", 0);
  const double sos_cases[] = {25, Inf, NaN, 0.25};
  const double scale_cases[] = {0.2, 1, 1, 1};
  for (int c = 0; c < 4; c++) {
    float x[] = {3, -4};
    run([&] { clip_to_norm_f32(2, &sos_cases[c], 1.0, x); });
    expect(x[0], 3 * scale_cases[c], 1e-7, "clip to norm", c);
    expect(x[1], -4 * scale_cases[c], 1e-7, "clip to norm", c);
  }
}

// Expected values printed by a .NET 10 program calling Engine.CounterRandom (and, for the fills,
// the CPU backend's formula in RandomKernels.cs: (T)(a + (b − a)·u), clamped below b).
static void test_random() {
  struct {
    uint64_t seed;
    uint64_t uniform[5];
  } const uniforms[] = {
      {0ull, {0x3FDB6DB29915936Aull, 0x3FDBE2ABAB0A15AEull, 0x3FE2B54E6C36019Cull, 0x3FD949FF7CFAFBB0ull, 0x3FD3753B018C24A8ull}},
      {42ull, {0x3FD682DDCF59EB3Aull, 0x3FE983927B7EA37Eull, 0x3FED5BF987D1CCF5ull, 0x3FED39EA21AEE4D5ull, 0x3FB33041F2FCB878ull}},
      {18446744073709551615ull, {0x3FEA82874101E0A4ull, 0x3FDE9BD21F2FC56Eull, 0x3FEE0D955DF0198Bull, 0x3FB00A2812639528ull, 0x3FE4D120814F856Bull}},
  };
  for (const auto& u : uniforms) {
    // [0, 1) in double is CounterRandom.Uniform itself.
    double x[5];
    run([&] { fill_uniform_f64(5, x, 0.0, 1.0, 1.0, u.seed); });
    for (int i = 0; i < 5; i++) expect_bits(bits(x[i]), u.uniform[i], "CounterRandom.Uniform", i);
  }
  const uint32_t uniform_f32[] = {0xBE9EFF81u, 0x3E40747Du, 0xBE9C5B49u, 0xBE066050u, 0xBE4193A0u, 0x3E0EB67Eu};
  const uint64_t uniform_f64[] = {0xBFD3DFF0299FFA72ull, 0x3FC80E8FA1276D2Cull, 0xBFD38B6929B2737Eull,
                                  0xBFC0CC09F388F19Aull, 0xBFC83273F6622304ull, 0x3FC1D6CFC88D9B10ull};
  float xf[6];
  double xd[6];
  run([&] { fill_uniform_f32(6, xf, -0.5, 0.25 - -0.5, 0.25, 7); });
  run([&] { fill_uniform_f64(6, xd, -0.5, 0.25 - -0.5, 0.25, 7); });
  for (int i = 0; i < 6; i++) {
    expect_bits(bits(xf[i]), uniform_f32[i], "uniform f32 [-0.5, 0.25) seed 7", i);
    expect_bits(bits(xd[i]), uniform_f64[i], "uniform f64 [-0.5, 0.25) seed 7", i);
  }
  // [1, 1 + 2^-23) in float: half the values round up to b and must become the float below it (1).
  const double b = 1.0 + std::ldexp(1.0, -23);
  float clamp[8];
  run([&] { fill_uniform_f32(8, clamp, 1.0, b - 1.0, b, 3); });
  for (int i = 0; i < 8; i++) expect_bits(bits(clamp[i]), 0x3F800000u, "uniform f32 clamped below b", i);
  // Normal, mean 1, deviation 2, seed 9: log/cos/sin may differ in the last bit between libraries.
  const uint64_t normal[] = {0xBFDFDF67ECDFBF8Cull, 0x3FD46B0CAD7FE802ull, 0xBFF309FC200FB1C8ull,
                             0xC01045C950D7190Full, 0x3FF39D6C2EF5351Full, 0x40009D86E40AE3AAull};
  run([&] { fill_normal_f64(6, xd, 1.0, 2.0, 9); });
  int normal_exact = 0;
  for (int i = 0; i < 6; i++) {
    double e;
    std::memcpy(&e, &normal[i], 8);
    expect(xd[i], e, 1e-14, "normal mean 1 sd 2 seed 9", i);
    normal_exact += bits(xd[i]) == normal[i];
  }
  std::printf("normal fill: %d of 6 values bit-equal to .NET's on this host's libm\n", normal_exact);
  // Dropout p = 0.3, seed 11: kept where u ≥ p, with 1/(1 − p) rounded to T.
  const int kept[] = {0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
  float mask_f[16];
  double mask_d[16];
  run([&] { dropout_mask_f32(16, mask_f, 0.3, 1.0 / (1.0 - 0.3), 11); });
  run([&] { dropout_mask_f64(16, mask_d, 0.3, 1.0 / (1.0 - 0.3), 11); });
  for (int i = 0; i < 16; i++) {
    expect_bits(bits(mask_f[i]), kept[i] ? 0x3FB6DB6Eu : 0u, "dropout mask f32", i);
    expect_bits(bits(mask_d[i]), kept[i] ? 0x3FF6DB6DB6DB6DB7ull : 0u, "dropout mask f64", i);
  }
  // BitDecrement edge cases (.NET semantics).
  expect_bits(bits(rn_below(0.0f)), 0x80000001u, "below +0 f32", 0);
  expect_bits(bits(rn_below(-0.0f)), 0x80000001u, "below -0 f32", 0);
  expect_bits(bits(rn_below((float)Inf)), 0x7F7FFFFFu, "below +inf f32", 0);
  expect_bits(bits(rn_below(-1.0)), 0xBFF0000000000001ull, "below -1 f64", 0);
  expect_bits(bits(rn_below(1.0)), 0x3FEFFFFFFFFFFFFFull, "below 1 f64", 0);
}

int main() {
  test_unary();
  test_binary();
  test_axpby();
  test_activations();
  test_channels();
  test_sum();
  test_softmax();
  test_metrics();
  test_random();
  std::printf("%d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
