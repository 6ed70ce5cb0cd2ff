/* The block-reduction kernels (batch norm: one block per channel, a shared-memory tree) run as a
 * real block on the host: blockDim.x threads (std::thread, each with its own threadIdx), __shared__
 * arrays shared by them, __syncthreads a barrier, blocks run one after another with gridDim.x > 1 so
 * the channel loop's stride is exercised too. Checks that the tree and its barriers give the
 * statistics a one-thread sum gives, before the GPU run. Exit code 0: all passed. */
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
struct ecud_host_dim3 {
  unsigned x;
};
static thread_local ecud_host_dim3 threadIdx{0};
static ecud_host_dim3 blockIdx{0}, blockDim{1}, gridDim{1};
using std::pow;
using std::sqrt;

/* A reusable barrier for the block's threads (C++17 has no std::barrier). */
static std::mutex gate;
static std::condition_variable turn;
static unsigned waiting = 0, generation = 0;
static void __syncthreads(void) {
  std::unique_lock<std::mutex> lock(gate);
  unsigned mine = generation;
  if (++waiting == blockDim.x) {
    waiting = 0;
    generation++;
    turn.notify_all();
  } else {
    turn.wait(lock, [mine] { return generation != mine; });
  }
}

#include "../kernels/common.cuh"
#include "../kernels/normalization.cu"

/* Runs body as a grid of `blocks` blocks of `threads` threads, one block at a time. */
static void launch(unsigned blocks, unsigned threads, const std::function<void()>& body) {
  blockDim.x = threads;
  gridDim.x = blocks;
  for (unsigned b = 0; b < blocks; b++) {
    blockIdx.x = b;
    std::vector<std::thread> team;
    for (unsigned t = 0; t < threads; t++)
      team.emplace_back([t, &body] {
        threadIdx.x = t;
        body();
      });
    for (std::thread& member : team) member.join();
  }
}

static int failures = 0, checks = 0;

static void expect_close(const char* what, const std::vector<double>& got, const std::vector<double>& want, double tolerance) {
  for (size_t i = 0; i < want.size(); i++) {
    checks++;
    if (!(std::fabs(got[i] - want[i]) <= tolerance * (1 + std::fabs(want[i])))) {
      failures++;
      std::printf("FAIL %s[%zu]: got %.17g, want %.17g\n", what, i, got[i], want[i]);
    }
  }
}

int main(void) {
  const int n = 3, c = 5, s = 7, count = n * c * s;
  std::vector<double> x(count), dy(count), gamma(c), beta(c);
  unsigned seed = 99;
  auto next = [&seed]() { seed = seed * 1103515245u + 12345u; return (double)(seed >> 8) / (1 << 24) - 0.5; };
  for (double& v : x) v = 3 + 2 * next();
  for (double& v : dy) v = next();
  for (int i = 0; i < c; i++) { gamma[i] = 1 + next(); beta[i] = next(); }

  /* Reference statistics in double, the CPU's formulas. */
  std::vector<double> mean(c, 0), squares(c, 0), inv(c), rm(c), rv(c), y_ref(count), sum_dy(c, 0), dot(c, 0), dg(c), dx_ref(count);
  const double m = n * s, eps = 1e-5, momentum = 0.1;
  for (int i = 0; i < count; i++) mean[(i / s) % c] += x[i] / m;
  for (int i = 0; i < count; i++) squares[(i / s) % c] += (x[i] - mean[(i / s) % c]) * (x[i] - mean[(i / s) % c]);
  for (int k = 0; k < c; k++) {
    inv[k] = 1 / std::sqrt(squares[k] / m + eps);
    rm[k] = 0.9 * 0.5 + momentum * mean[k];
    rv[k] = 0.9 * 2 + momentum * squares[k] / (m - 1);
  }
  for (int i = 0; i < count; i++) {
    int k = (i / s) % c;
    y_ref[i] = gamma[k] * (x[i] - mean[k]) * inv[k] + beta[k];
    sum_dy[k] += dy[i];
    dot[k] += dy[i] * (x[i] - mean[k]) * inv[k];
  }
  for (int i = 0; i < count; i++) {
    int k = (i / s) % c;
    dx_ref[i] = gamma[k] * inv[k] * (dy[i] - sum_dy[k] / m - (x[i] - mean[k]) * inv[k] * dot[k] / m);
  }

  /* Several block shapes: one thread, a full warp-sized tree, more threads than elements per channel. */
  const unsigned shapes[][2] = {{1, 1}, {5, 8}, {2, 32}, {3, 64}};
  for (const auto& shape : shapes) {
    std::vector<double> run_mean(c, 0.5), run_var(c, 2), saved_mean(c), saved_inv(c), y(count), dx(count), d_gamma(c), d_beta(c);
    launch(shape[0], shape[1], [&] {
      bn_forward_f64(n, c, s, x.data(), gamma.data(), beta.data(), run_mean.data(), run_var.data(), saved_mean.data(), saved_inv.data(), y.data(),
                     eps, momentum, 1);
    });
    launch(shape[0], shape[1], [&] {
      bn_backward_f64(n, c, s, x.data(), dy.data(), gamma.data(), saved_mean.data(), saved_inv.data(), dx.data(), d_gamma.data(), d_beta.data());
    });
    expect_close("block savedMean", saved_mean, mean, 1e-14);
    expect_close("block savedInvStd", saved_inv, inv, 1e-13);
    expect_close("block runningMean", run_mean, rm, 1e-14);
    expect_close("block runningVariance", run_var, rv, 1e-13);
    expect_close("block y", y, y_ref, 1e-12);
    expect_close("block dBeta", d_beta, sum_dy, 1e-13);
    expect_close("block dGamma", d_gamma, dot, 1e-12);
    expect_close("block dx", dx, dx_ref, 1e-11);

    /* In place (y = x) is allowed in forward: every read of x precedes the writes. */
    std::vector<double> z = x, rm2(c, 0.5), rv2(c, 2);
    launch(shape[0], shape[1], [&] {
      bn_forward_f64(n, c, s, z.data(), gamma.data(), beta.data(), rm2.data(), rv2.data(), saved_mean.data(), saved_inv.data(), z.data(), eps,
                     momentum, 1);
    });
    expect_close("block y in place", z, y_ref, 1e-12);
  }
  std::printf("%d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
