/* Lets the CUDA kernels of kernels/ compile as plain C++ on the host, so their arithmetic can be
 * tested without a GPU: the CUDA qualifiers vanish and the launch is one block of one thread, so
 * FOR_EACH visits every index once and a per-channel block loop (c = blockIdx.x; c += gridDim.x)
 * visits every channel. Block reductions then degenerate to one thread's sequential sum. */
#ifndef ECUD_HOST_PRELUDE_H
#define ECUD_HOST_PRELUDE_H
#include <cmath>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static
static inline void __syncthreads(void) {}
struct ecud_host_dim3 {
  unsigned x;
};
static const ecud_host_dim3 blockIdx{0}, threadIdx{0}, blockDim{1}, gridDim{1};
using std::pow;
using std::sqrt;
#endif
