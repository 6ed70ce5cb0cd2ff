// Prefixed to every kernel module before NVRTC compiles it. NVRTC has no standard headers, so the
// few types used are spelled out here.
typedef long long i64;
typedef unsigned long long u64;

// One work item per index, any grid size: kernels are launched with a grid that covers n or is
// capped, so every element-wise kernel loops with the grid's stride.
#define FOR_EACH(i, n) for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)

// Kernels are written once as a __device__ template `name_impl<T>` and exported per element type
// as extern "C" __global__ `name_f32` / `name_f64` (the names the managed side looks up).
