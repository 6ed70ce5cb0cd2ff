/*
 * ecud: the engine's cuDNN shim. A small, versioned C API over the CUDA runtime and driver, cuBLAS,
 * cuDNN 9 and NVRTC, all opened at run time with dlopen/LoadLibrary, so that the shim builds and
 * loads on a machine with no CUDA at all (ecud_init then fails with a message naming the library
 * it looked for and the loader's error).
 *
 * Every function returns an ecud_status; on failure ecud_last_error() (per thread) says which
 * library and call failed and why. Device pointers are plain addresses. All work is queued on one
 * stream; ecud_synchronize waits for it.
 */
#ifndef ECUD_H
#define ECUD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define ECUD_API __declspec(dllexport)
#else
#define ECUD_API __attribute__((visibility("default")))
#endif

/* Version of this C API: bumped on any incompatible change; the managed side refuses others. */
#define ECUD_API_VERSION 4

typedef enum ecud_status {
  ECUD_OK = 0,
  ECUD_ERROR_LIBRARY = 1,   /* a library or symbol could not be loaded */
  ECUD_ERROR_NO_DEVICE = 2, /* no CUDA device, or the driver is too old */
  ECUD_ERROR_CUDA = 3,      /* CUDA runtime or driver call failed */
  ECUD_ERROR_CUBLAS = 4,
  ECUD_ERROR_CUDNN = 5,
  ECUD_ERROR_NVRTC = 6,     /* kernel compilation failed (the log is in the message) */
  ECUD_ERROR_MEMORY = 7,    /* device memory exhausted */
  ECUD_ERROR_ARGUMENT = 8,  /* the shim was called wrongly */
  ECUD_ERROR_STATE = 9,     /* not initialised */
  ECUD_ERROR_CAPTURE = 10,  /* a call not allowed while the stream is captured, or a capture it invalidated */
  ECUD_ERROR_NO_ALGORITHM = 11 /* cuDNN has no algorithm for this convolution in this layout and type; nothing was queued */
} ecud_status;

/* Data types as the engine numbers them (Engine.DataType). */
enum { ECUD_FLOAT32 = 0, ECUD_FLOAT64 = 1, ECUD_INT32 = 2 };

/* Convolution passes. */
enum { ECUD_CONV_FORWARD = 0, ECUD_CONV_BACKWARD_DATA = 1, ECUD_CONV_BACKWARD_FILTER = 2 };

ECUD_API int ecud_version(void);
ECUD_API const char *ecud_last_error(void);

/* Loads the libraries (not the device). search_path: extra folders, ':'-separated, tried first
 * (NULL: none). Writes what was found, or why not, into description. */
ECUD_API int ecud_load(const char *search_path, char *description, int description_capacity);

/* Opens the device, creates the stream, cuBLAS and cuDNN handles. strict != 0: no TF32 anywhere.
 * kernel_cache: folder for compiled kernels (NULL: no disk cache). */
ECUD_API int ecud_init(int device, int strict, const char *kernel_cache);
ECUD_API int ecud_set_strict(int strict);

/* Math of float32 convolutions and GEMMs. TF32: tensor cores with TF32 products where the GPU has
 * them; STRICT: plain float32, deterministic algorithms (ecud_set_strict(1)); BF16 / FP16: the
 * operands are cast to bfloat16 / half in device memory (kernels/precision.cu) and cuDNN and cuBLAS
 * compute with float32 accumulation on tensor cores; results are float32 again in memory (a
 * convolution's output passes through the 16-bit type, as cuDNN writes it). Float64 is unaffected. */
enum { ECUD_PRECISION_TF32 = 0, ECUD_PRECISION_STRICT = 1, ECUD_PRECISION_BF16 = 2, ECUD_PRECISION_FP16 = 3 };
ECUD_API int ecud_set_precision(int precision);
ECUD_API void ecud_shutdown(void);
ECUD_API int ecud_describe(char *description, int description_capacity);

/* Memory (stream-ordered). Copies from the host return once the source may be reused; copies to
 * the host return once the data is there. */
ECUD_API int ecud_malloc(void **pointer, size_t bytes);
ECUD_API int ecud_free(void *pointer);
ECUD_API int ecud_memory_info(size_t *free_bytes, size_t *total_bytes);
ECUD_API int ecud_copy_to_device(void *destination, const void *source, size_t bytes);
ECUD_API int ecud_copy_to_host(void *destination, const void *source, size_t bytes);
ECUD_API int ecud_copy_on_device(void *destination, const void *source, size_t bytes);
ECUD_API int ecud_memset(void *destination, int value, size_t bytes);
ECUD_API int ecud_synchronize(void);

/* Row-major C = alpha op(A) op(B) + beta C (m×n), as IBackend.Gemm. */
ECUD_API int ecud_gemm(int data_type, int transpose_a, int transpose_b, int m, int n, int k, double alpha,
                       const void *a, const void *b, double beta, void *c);

/* Convolution with cuDNN (cross-correlation, NCHW / NCDHW). spatial_rank 1..3. x_dims: N, C,
 * spatial...; w_dims: K, C/groups, kernel...; y_dims: N, K, spatial...; pad/stride/dilation per
 * spatial axis (symmetric padding; the caller pads asymmetric cases). pass picks which of x, w, y
 * is written. ECUD_ERROR_NO_ALGORITHM when cuDNN offers no usable algorithm for the call (before
 * anything is queued: cuDNN 9 has none in NHWC for float64 backward data, for instance); the caller
 * may run it in the other layout. */
ECUD_API int ecud_convolution(int pass, int data_type, int spatial_rank, const int *x_dims, const int *w_dims,
                              const int *y_dims, const int *pad, const int *stride, const int *dilation, int groups,
                              void *x, void *w, void *y);

/* Measured algorithm choice (version 3). One candidate of cudnnFindConvolution{Forward,BackwardData,
 * BackwardFilter}AlgorithmEx: algo is the pass's cudnnConvolution*Algo_t, status 0 when it ran
 * (anything else: it could not, e.g. its workspace is over the limit), math the cudnnMathType_t it
 * ran with. The layout is fixed (32 bytes on 64-bit machines; the managed side mirrors it). */
typedef struct ecud_algorithm {
  size_t workspace; /* bytes */
  int algo;
  int status;
  float time_ms;
  int deterministic; /* 1: CUDNN_DETERMINISTIC */
  int math;
  int reserved;
} ecud_algorithm;

/* Times every algorithm cuDNN has for this convolution (same arguments as ecud_convolution) in the
 * current precision, with a workspace of at most workspace_limit bytes; writes up to capacity
 * candidates, fastest first, and their number into *returned. Overwrites the pass's output operand
 * (as running it would). Synchronises and may grow the workspace: not while capturing. */
ECUD_API int ecud_convolution_find(int pass, int data_type, int spatial_rank, const int *x_dims, const int *w_dims,
                                   const int *y_dims, const int *pad, const int *stride, const int *dilation, int groups,
                                   void *x, void *w, void *y, size_t workspace_limit, ecud_algorithm *results, int capacity,
                                   int *returned);

/* ecud_convolution with a chosen algorithm (a candidate of ecud_convolution_find): algo, its math
 * type and its workspace bytes. */
ECUD_API int ecud_convolution_with(int pass, int data_type, int spatial_rank, const int *x_dims, const int *w_dims,
                                   const int *y_dims, const int *pad, const int *stride, const int *dilation, int groups,
                                   void *x, void *w, void *y, int algo, int math, size_t workspace);

/* ---- Version 4: channels-last convolutions and the fused forward epilogue ----
 * ecud_set_layout: how the ecud_convolution* calls after it read and write x, w and y (per
 * process, like the precision): NCHW, the engine's layout, or NHWC, channels last (x and y
 * N, spatial..., C; w K, spatial..., C/groups), which tensor-core algorithms prefer. The dims
 * arguments stay in N, C, spatial order either way; algorithm choices are kept per layout. */
enum { ECUD_LAYOUT_NCHW = 0, ECUD_LAYOUT_NHWC = 1 };
ECUD_API int ecud_set_layout(int layout);

/* The forward convolution with a per-output-channel bias (K values of data_type) and ReLU
 * (relu != 0) or no activation after it, in one cuDNN call (cudnnConvolutionBiasActivationForward):
 * y = act(conv(x, w) + bias), in the current layout. algo >= 0: that forward algorithm with its math
 * type and workspace bytes (a candidate of ecud_convolution_find; with ReLU, IMPLICIT_PRECOMP_GEMM
 * instead when cuDNN refuses it for the fused call); algo < 0: IMPLICIT_PRECOMP_GEMM with its own
 * workspace. Without activation cuDNN allows IMPLICIT_PRECOMP_GEMM only: another algo fails
 * (ECUD_ERROR_CUDNN). Float32 and float64; under bf16/fp16 precision it fails with
 * ECUD_ERROR_ARGUMENT (the caller convolves and applies the epilogue itself). */
ECUD_API int ecud_convolution_bias_activation(int data_type, int spatial_rank, const int *x_dims, const int *w_dims, const int *y_dims,
                                              const int *pad, const int *stride, const int *dilation, int groups, const void *x,
                                              const void *w, const void *bias, void *y, int relu, int algo, int math, size_t workspace);
/* ---- end of version 4 ---- */

/* Pinned host memory (cudaHostAlloc / cudaFreeHost): the source of asynchronous uploads. */
ECUD_API int ecud_host_alloc(void **pointer, size_t bytes);
ECUD_API int ecud_host_free(void *pointer);

/* Double-buffered uploads on a second (copy) stream, slot 0 .. ECUD_UPLOAD_SLOTS-1:
 * ecud_upload queues a copy from pinned memory after the compute stream's last
 * ecud_upload_release(slot) (so the device buffer is no longer read) and returns at once;
 * ecud_upload_wait makes the compute stream wait for the slot's copies (no host wait);
 * ecud_upload_release marks on the compute stream that the work queued so far is all the work
 * reading the slot's device buffer (the caller releases a slot as soon as the step reading it is
 * queued, so that the slot's next copy overlaps the steps after it); ecud_upload_sync waits on the
 * host until the slot's copies have read their pinned source (before the host refills it). */
#define ECUD_UPLOAD_SLOTS 2
ECUD_API int ecud_upload(int slot, void *destination, const void *pinned_source, size_t bytes);
ECUD_API int ecud_upload_wait(int slot);
ECUD_API int ecud_upload_release(int slot);
ECUD_API int ecud_upload_sync(int slot);

/* Step timing with events on the compute stream: ecud_step_begin / ecud_step_end around each step
 * (up to ECUD_STEP_MARKS steps are kept); ecud_step_times waits for the stream, writes for each
 * step its busy time (begin to end) and the idle time before it (the previous step's end to its
 * begin: the GPU had nothing queued), up to capacity steps, and forgets them. The first step's
 * idle time is 0. Not while capturing. */
#define ECUD_STEP_MARKS 4096
ECUD_API int ecud_step_begin(void);
ECUD_API int ecud_step_end(void);
ECUD_API int ecud_step_times(float *busy_ms, float *idle_ms, int capacity, int *count);

/* Kernels: module is the name of an embedded source (kernels/<module>.cu), compiled by NVRTC on
 * first use (and cached on disk). Returns a function handle for ecud_launch. */
ECUD_API int ecud_kernel(const char *module, const char *name, void **function);
ECUD_API int ecud_launch(void *function, unsigned grid, unsigned block, unsigned shared_bytes, void **arguments);

/* CUDA graphs. ecud_capture_begin starts recording the stream's work (kernel launches, memsets,
 * device-to-device copies, GEMMs and convolutions) instead of running it, in the thread-local
 * capture mode: while it lasts the capturing thread may not allocate, free, copy to or from the
 * host or synchronise (each fails with ECUD_ERROR_CAPTURE and invalidates the capture), while other
 * threads may still allocate. ecud_capture_end stops recording and returns an instantiated graph,
 * or fails (ECUD_ERROR_CAPTURE, naming the first illegal call) when the capture was invalidated; the
 * capture is over either way. ecud_graph_launch queues the recorded work again, with the argument
 * values it was recorded with: what changes between replays must be read from device memory.
 * ecud_capturing: 1 while a capture is open (0 otherwise). The shim's own buffers a graph uses (the
 * convolution workspace, the 16-bit staging) are kept alive while any graph exists, even when a
 * later call outgrows them; kernels the shim resolved before the capture (ecud_kernel, its own
 * casts) may be used in it, a kernel first resolved while capturing is refused. */
ECUD_API int ecud_capture_begin(void);
ECUD_API int ecud_capture_end(void **graph);
ECUD_API int ecud_capturing(void);
ECUD_API int ecud_graph_launch(void *graph);
ECUD_API int ecud_graph_destroy(void *graph);

/* Compiles an embedded module with NVRTC for compute capability major.minor without a device
 * (loads only NVRTC): the no-GPU check that every kernel source compiles. */
ECUD_API int ecud_compile_check(const char *module, int cc_major, int cc_minor);

/* Names of the embedded kernel modules, ';'-separated (for tests and diagnostics). */
ECUD_API const char *ecud_kernel_modules(void);

/* NCCL (optional). libnccl.so.2 is opened by ecud_nccl_load only, never by ecud_load or ecud_init,
 * so a machine without NCCL runs everything else; a missing library fails ecud_nccl_load with
 * ECUD_ERROR_LIBRARY naming the file names and folders tried. One process per GPU: rank 0 makes a
 * group id (ecud_nccl_unique_id), the caller sends it to every rank (over MPI), each rank joins
 * with ecud_nccl_init (after ecud_init; blocks until every rank has joined). ecud_nccl_sum queues
 * in-place float32 sums of buffers over the ranks on the shim's stream (one NCCL group: one
 * launch), ordered after the work queued before it; every rank passes the same counts in the same
 * order. NCCL's failures are ECUD_ERROR_NCCL with ncclGetErrorString's text. */
#define ECUD_ERROR_NCCL 11
#define ECUD_NCCL_ID_BYTES 128
ECUD_API int ecud_nccl_load(const char *search_path, char *description, int description_capacity);
ECUD_API int ecud_nccl_unique_id(unsigned char *id);
ECUD_API int ecud_nccl_init(void **communicator, int size, const unsigned char *id, int rank);
ECUD_API int ecud_nccl_sum(void *communicator, void *const *buffers, const size_t *counts, int buffer_count);
ECUD_API int ecud_nccl_destroy(void *communicator);
/* The number of CUDA devices (after ecud_load, before ecud_init): with one process per GPU, each
 * rank opens the device of its local rank modulo this count. */
ECUD_API int ecud_device_count(int *count);

#ifdef __cplusplus
}
#endif

#endif
