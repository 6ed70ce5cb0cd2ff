// A kernel module for the emulator's own test (not embedded in the shim): dynamic shared memory
// (extern __shared__, sized by the launch) and a barrier between writing and reading it.

// y[block b, i] = x[block b, blockDim − 1 − i]: each block reverses its slice through shared memory.
template <typename T> __device__ void reverse_blocks_impl(const T* x, T* y) {
  extern __shared__ double cache[];
  i64 base = (i64)blockIdx.x * blockDim.x;
  cache[threadIdx.x] = (double)x[base + threadIdx.x];
  __syncthreads();
  y[base + threadIdx.x] = (T)cache[blockDim.x - 1 - threadIdx.x];
}
#define REVERSE(S, T) \
  extern "C" __global__ void reverse_blocks_##S(const T* x, T* y) { reverse_blocks_impl<T>(x, y); }
REVERSE(f32, float)
REVERSE(f64, double)
