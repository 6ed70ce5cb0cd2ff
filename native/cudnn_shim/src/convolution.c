/* Convolutions with cuDNN's legacy API: descriptors per call (host-only, cheap). The algorithm is
 * either chosen once per shape by cuDNN's heuristics under a workspace limit, then cached here
 * (ecud_convolution), or given by the caller (ecud_convolution_with), who measured the candidates
 * once with ecud_convolution_find (cudnnFind*AlgorithmEx) and keeps its own choice per shape. In
 * strict mode float32 convolutions use FMA math (no TF32) and only deterministic algorithms. */
#include "shim.h"

#include <stdlib.h>
#include <string.h>

#define MAX_RANK 5
#define WORKSPACE_LIMIT ((size_t)1 << 30) /* 1 GiB */

typedef struct algo_entry {
  int key[4 + 3 * MAX_RANK + 3 * 3 + 3];
  int algo;
  int math;
  size_t workspace;
  struct algo_entry *next;
} algo_entry;

static algo_entry *algo_cache[256];

void ecud_convolution_release(void) {
  for (int i = 0; i < 256; i++) {
    algo_entry *e = algo_cache[i];
    while (e) {
      algo_entry *next = e->next;
      free(e);
      e = next;
    }
    algo_cache[i] = NULL;
  }
}

static unsigned hash_key(const int *key, int length) {
  unsigned h = 2166136261u;
  for (int i = 0; i < length; i++) h = (h ^ (unsigned)key[i]) * 16777619u;
  return h & 255u;
}

typedef ecud_conv_descriptors descriptors;

/* What convolve does: run with the heuristic choice cached here, run with the caller's algorithm,
 * or time every algorithm (cudnnFind*AlgorithmEx) and report them. */
enum { RUN_HEURISTIC = 0, RUN_GIVEN = 1, FIND = 2 };
#define FIND_OVER_WORKSPACE 3000 /* a candidate's status: it needs more workspace than the find had */
typedef struct request {
  int mode;
  int algo, math;   /* RUN_GIVEN */
  size_t workspace; /* RUN_GIVEN: the algorithm's; FIND: the limit */
  ecud_algorithm *results;
  int capacity;
  int *returned;
} request;

void ecud_conv_destroy(descriptors *d) {
  if (d->x) ecud_g.dnn.cudnnDestroyTensorDescriptor(d->x);
  if (d->y) ecud_g.dnn.cudnnDestroyTensorDescriptor(d->y);
  if (d->w) ecud_g.dnn.cudnnDestroyFilterDescriptor(d->w);
  if (d->conv) ecud_g.dnn.cudnnDestroyConvolutionDescriptor(d->conv);
}

static void packed_strides(int rank, const int *dims, int *strides) {
  strides[rank - 1] = 1;
  for (int i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
}

/* NHWC in N, C, spatial... order: C is the innermost axis, then the spatial axes, then N. */
static void channels_last_strides(int rank, const int *dims, int *strides) {
  int step = dims[1];
  strides[1] = 1;
  for (int i = rank - 1; i >= 2; i--) {
    strides[i] = step;
    step *= dims[i];
  }
  strides[0] = step;
}

/* cuDNN wants at least 4-D tensors: a 1-D convolution becomes 2-D with a height of 1. */
int ecud_conv_create(descriptors *d, int cudnn_type, int compute_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims,
                  const int *pad, const int *stride, const int *dilation, int groups, int math) {
  int rank = spatial == 1 ? 4 : spatial + 2;
  int xd[MAX_RANK] = {0}, wd[MAX_RANK] = {0}, yd[MAX_RANK] = {0}, xs[MAX_RANK], ys[MAX_RANK];
  int p[3], s[3], dl[3];
  int conv_rank = rank - 2;
  if (spatial == 1) {
    xd[0] = x_dims[0]; xd[1] = x_dims[1]; xd[2] = 1; xd[3] = x_dims[2];
    wd[0] = w_dims[0]; wd[1] = w_dims[1]; wd[2] = 1; wd[3] = w_dims[2];
    yd[0] = y_dims[0]; yd[1] = y_dims[1]; yd[2] = 1; yd[3] = y_dims[2];
    p[0] = 0; p[1] = pad[0]; s[0] = 1; s[1] = stride[0]; dl[0] = 1; dl[1] = dilation[0];
  } else {
    for (int i = 0; i < rank; i++) { xd[i] = x_dims[i]; wd[i] = w_dims[i]; yd[i] = y_dims[i]; }
    for (int i = 0; i < spatial; i++) { p[i] = pad[i]; s[i] = stride[i]; dl[i] = dilation[i]; }
  }
  if (ecud_g.layout == ECUD_LAYOUT_NHWC) {
    channels_last_strides(rank, xd, xs);
    channels_last_strides(rank, yd, ys);
  } else {
    packed_strides(rank, xd, xs);
    packed_strides(rank, yd, ys);
  }
  memset(d, 0, sizeof *d);
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateTensorDescriptor(&d->x), "cudnnCreateTensorDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateTensorDescriptor(&d->y), "cudnnCreateTensorDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateFilterDescriptor(&d->w), "cudnnCreateFilterDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateConvolutionDescriptor(&d->conv), "cudnnCreateConvolutionDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetTensorNdDescriptor(d->x, cudnn_type, rank, xd, xs), "cudnnSetTensorNdDescriptor(x)"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetTensorNdDescriptor(d->y, cudnn_type, rank, yd, ys), "cudnnSetTensorNdDescriptor(y)"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetFilterNdDescriptor(d->w, cudnn_type, ecud_g.layout == ECUD_LAYOUT_NHWC ? EC_CUDNN_TENSOR_NHWC : EC_CUDNN_TENSOR_NCHW, rank, wd), "cudnnSetFilterNdDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionNdDescriptor(d->conv, conv_rank, p, s, dl, EC_CUDNN_CROSS_CORRELATION, compute_type),
                            "cudnnSetConvolutionNdDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionGroupCount(d->conv, groups), "cudnnSetConvolutionGroupCount"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionMathType(d->conv, math), "cudnnSetConvolutionMathType"));
  return ECUD_OK;
}

int ecud_conv_workspace(size_t bytes) {
  return ecud_grow_device_buffer(&ecud_g.workspace, &ecud_g.workspace_bytes, bytes, "cudaMalloc(convolution workspace)");
}

static const char *pass_name(int pass) {
  return pass == ECUD_CONV_FORWARD ? "forward" : pass == ECUD_CONV_BACKWARD_DATA ? "backward data" : "backward filter";
}

/* FFT and Winograd algorithms compute through a transform, not as plain sums of products: their
 * float32 error spreads over every output relative to the largest (GPU run 5, strict: a filter tap
 * that never overlaps the input came out 1.64e-4 instead of 0). Strict precision promises plain
 * sums, so it keeps these: forward IMPLICIT_GEMM, IMPLICIT_PRECOMP_GEMM, GEMM, DIRECT; backward
 * data ALGO_0, ALGO_1; backward filter ALGO_0, ALGO_1, ALGO_3. */
static int plain_sum(int pass, int algo) {
  if (pass == ECUD_CONV_FORWARD) return algo >= 0 && algo <= 3;
  if (pass == ECUD_CONV_BACKWARD_DATA) return algo == 0 || algo == 1;
  return algo == 0 || algo == 1 || algo == 3;
}

/* Picks the first of cuDNN's ranked candidates that succeeds, fits the workspace limit, and (in
 * strict mode) is deterministic, a plain sum and uses no tensor-core math for float32. */
static int heuristics(int pass, descriptors *d, ec_cudnnAlgoPerf *perf, int *returned_out) {
  int returned = 0;
  memset(perf, 0, 16 * sizeof *perf);
  if (pass == ECUD_CONV_FORWARD)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionForwardAlgorithm_v7(ecud_g.cudnn, d->x, d->w, d->conv, d->y, 16, &returned, perf),
                              "cudnnGetConvolutionForwardAlgorithm_v7"));
  else if (pass == ECUD_CONV_BACKWARD_DATA)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(ecud_g.cudnn, d->w, d->y, d->conv, d->x, 16, &returned, perf),
                              "cudnnGetConvolutionBackwardDataAlgorithm_v7"));
  else
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(ecud_g.cudnn, d->x, d->y, d->conv, d->w, 16, &returned, perf),
                              "cudnnGetConvolutionBackwardFilterAlgorithm_v7"));
  *returned_out = returned;
  return ECUD_OK;
}

static int choose(int pass, descriptors *d, int cudnn_type, algo_entry *entry) {
  ec_cudnnAlgoPerf perf[16];
  int returned = 0;
  ECUD_TRY(heuristics(pass, d, perf, &returned));
  for (int pick_strictly = 1; pick_strictly >= 0; pick_strictly--) {
    for (int i = 0; i < returned; i++) {
      if (perf[i].status != EC_CUDNN_STATUS_SUCCESS || perf[i].memory > WORKSPACE_LIMIT) continue;
      if (ecud_g.strict && pick_strictly) {
        if (perf[i].determinism != EC_CUDNN_DETERMINISTIC || !plain_sum(pass, perf[i].algo)) continue;
        if (cudnn_type == EC_CUDNN_DATA_FLOAT && perf[i].mathType != EC_CUDNN_DEFAULT_MATH && perf[i].mathType != EC_CUDNN_FMA_MATH) continue;
      }
      entry->algo = perf[i].algo;
      entry->math = ecud_g.strict && cudnn_type == EC_CUDNN_DATA_FLOAT ? EC_CUDNN_FMA_MATH : perf[i].mathType;
      entry->workspace = perf[i].memory;
      return ECUD_OK;
    }
    if (!ecud_g.strict) break;
  }
  return ecud_fail(ECUD_ERROR_NO_ALGORITHM, "cuDNN: no %s convolution algorithm for this shape (%d candidates, none usable)", pass_name(pass),
                   returned);
}

static int run(int pass, int data_type, descriptors *d, int algo, size_t workspace, void *x, void *w, void *y);

/* Times every algorithm in a workspace as big as the largest the heuristics list within the limit
 * (not the whole limit: a workspace is kept for the run, and peak memory counts). */
static int find(int pass, descriptors *d, void *x, void *w, void *y, const request *r) {
  ec_cudnnAlgoPerf perf[16];
  int returned = 0;
  ECUD_TRY(heuristics(pass, d, perf, &returned));
  size_t needed = 0;
  for (int i = 0; i < returned; i++)
    if (perf[i].status == EC_CUDNN_STATUS_SUCCESS && perf[i].memory <= r->workspace && perf[i].memory > needed) needed = perf[i].memory;
  ECUD_TRY(ecud_conv_workspace(needed));
  memset(perf, 0, sizeof perf);
  returned = 0;
  if (pass == ECUD_CONV_FORWARD)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnFindConvolutionForwardAlgorithmEx(ecud_g.cudnn, d->x, x, d->w, w, d->conv, d->y, y, 16, &returned,
                                                                                perf, ecud_g.workspace, needed),
                              "cudnnFindConvolutionForwardAlgorithmEx"));
  else if (pass == ECUD_CONV_BACKWARD_DATA)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnFindConvolutionBackwardDataAlgorithmEx(ecud_g.cudnn, d->w, w, d->y, y, d->conv, d->x, x, 16,
                                                                                     &returned, perf, ecud_g.workspace, needed),
                              "cudnnFindConvolutionBackwardDataAlgorithmEx"));
  else
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnFindConvolutionBackwardFilterAlgorithmEx(ecud_g.cudnn, d->x, x, d->y, y, d->conv, d->w, w, 16,
                                                                                       &returned, perf, ecud_g.workspace, needed),
                              "cudnnFindConvolutionBackwardFilterAlgorithmEx"));
  int count = returned < r->capacity ? returned : r->capacity;
  for (int i = 0; i < count; i++) {
    ecud_algorithm *a = &r->results[i];
    memset(a, 0, sizeof *a);
    a->algo = perf[i].algo;
    a->status = perf[i].status;
    a->time_ms = perf[i].time;
    a->workspace = perf[i].memory;
    a->deterministic = perf[i].determinism == EC_CUDNN_DETERMINISTIC;
    a->math = perf[i].mathType;
    /* Only what ran in the workspace given counts as run: the caller runs it in as much. */
    if (a->status == 0 && a->workspace > needed) a->status = FIND_OVER_WORKSPACE;
  }
  *r->returned = count;
  return ECUD_OK;
}

/* One cuDNN call on tensors of cudnn_type (x, w, y: device pointers of that type), computed in
 * data_type's float type. */
static int convolve(int pass, int data_type, int cudnn_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims,
                    const int *pad, const int *stride, const int *dilation, int groups, void *x, void *w, void *y, const request *r) {
  int compute_type = data_type == ECUD_FLOAT32 ? EC_CUDNN_DATA_FLOAT : EC_CUDNN_DATA_DOUBLE;
  int rank = spatial + 2;
  descriptors d;
  int math = cudnn_type != compute_type ? EC_CUDNN_TENSOR_OP_MATH
             : data_type == ECUD_FLOAT32 && ecud_g.strict ? EC_CUDNN_FMA_MATH : EC_CUDNN_DEFAULT_MATH;
  if (r->mode != RUN_HEURISTIC) {
    /* Strict float32 runs with FMA math whatever the candidate reported: cuDNN's default math lets
     * float32 convolutions use TF32 on Ampere and later. */
    int given = cudnn_type == EC_CUDNN_DATA_FLOAT && ecud_g.strict ? EC_CUDNN_FMA_MATH : r->math;
    int status = ecud_conv_create(&d, cudnn_type, compute_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups,
                        r->mode == RUN_GIVEN ? given : math);
    if (status == ECUD_OK) status = r->mode == FIND ? find(pass, &d, x, w, y, r) : run(pass, data_type, &d, r->algo, r->workspace, x, w, y);
    ecud_conv_destroy(&d);
    return status;
  }

  int key[sizeof(((algo_entry *)0)->key) / sizeof(int)];
  int length = 0;
  memset(key, 0, sizeof key);
  key[length++] = pass;
  key[length++] = data_type;
  key[length++] = spatial * 1000 + groups;
  /* strict, TF32, bf16 and fp16 each choose their own algorithms, and so does each layout */
  key[length++] = ecud_g.precision + 16 * ecud_g.layout;
  for (int i = 0; i < rank; i++) { key[length++] = x_dims[i]; key[length++] = w_dims[i]; key[length++] = y_dims[i]; }
  for (int i = 0; i < spatial; i++) { key[length++] = pad[i]; key[length++] = stride[i]; key[length++] = dilation[i]; }
  unsigned bucket = hash_key(key, (int)(sizeof key / sizeof(int)));
  algo_entry *entry = algo_cache[bucket];
  while (entry && memcmp(entry->key, key, sizeof key) != 0) entry = entry->next;

  int status = ecud_conv_create(&d, cudnn_type, compute_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, entry ? entry->math : math);
  if (status != ECUD_OK) { ecud_conv_destroy(&d); return status; }
  if (!entry) {
    entry = (algo_entry *)calloc(1, sizeof *entry);
    if (!entry) { ecud_conv_destroy(&d); return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory"); }
    memcpy(entry->key, key, sizeof key);
    status = choose(pass, &d, cudnn_type, entry);
    if (status != ECUD_OK) { free(entry); ecud_conv_destroy(&d); return status; }
    entry->next = algo_cache[bucket];
    algo_cache[bucket] = entry;
    status = ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionMathType(d.conv, entry->math), "cudnnSetConvolutionMathType");
    if (status != ECUD_OK) { ecud_conv_destroy(&d); return status; }
  }
  status = run(pass, data_type, &d, entry->algo, entry->workspace, x, w, y);
  ecud_conv_destroy(&d);
  return status;
}

/* The cuDNN call itself, in a workspace of at least `workspace` bytes. */
static int run(int pass, int data_type, descriptors *dp, int algo, size_t workspace, void *x, void *w, void *y) {
  descriptors d = *dp;
  ECUD_TRY(ecud_conv_workspace(workspace));
  int status;
  float one_f = 1.0f, zero_f = 0.0f;
  double one_d = 1.0, zero_d = 0.0;
  const void *one = data_type == ECUD_FLOAT32 ? (const void *)&one_f : (const void *)&one_d;
  const void *zero = data_type == ECUD_FLOAT32 ? (const void *)&zero_f : (const void *)&zero_d;
  if (pass == ECUD_CONV_FORWARD)
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionForward(ecud_g.cudnn, one, d.x, x, d.w, w, d.conv, algo, ecud_g.workspace,
                                                                 ecud_g.workspace_bytes, zero, d.y, y), "cudnnConvolutionForward");
  else if (pass == ECUD_CONV_BACKWARD_DATA)
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionBackwardData(ecud_g.cudnn, one, d.w, w, d.y, y, d.conv, algo, ecud_g.workspace,
                                                                      ecud_g.workspace_bytes, zero, d.x, x), "cudnnConvolutionBackwardData");
  else
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionBackwardFilter(ecud_g.cudnn, one, d.x, x, d.y, y, d.conv, algo, ecud_g.workspace,
                                                                        ecud_g.workspace_bytes, zero, d.w, w), "cudnnConvolutionBackwardFilter");
  return status;
}

static size_t element_count(int rank, const int *dims) {
  size_t count = 1;
  for (int i = 0; i < rank; i++) count *= (size_t)dims[i];
  return count;
}

static int dispatch(int pass, int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                    const int *stride, const int *dilation, int groups, void *x, void *w, void *y, const request *r) {
  ECUD_TRY(ecud_require_init());
  if (spatial < 1 || spatial > 3) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution: %d spatial axes (1 to 3 supported)", spatial);
  if (data_type != ECUD_FLOAT32 && data_type != ECUD_FLOAT64)
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution: data type %d is not float32 or float64", data_type);
  if (pass < ECUD_CONV_FORWARD || pass > ECUD_CONV_BACKWARD_FILTER) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution: pass %d", pass);
  if (data_type == ECUD_FLOAT64 || !ecud_half_precision())
    return convolve(pass, data_type, data_type == ECUD_FLOAT32 ? EC_CUDNN_DATA_FLOAT : EC_CUDNN_DATA_DOUBLE, spatial, x_dims, w_dims,
                    y_dims, pad, stride, dilation, groups, x, w, y, r);
  /* bf16 / fp16: the two operands read are cast into the staging buffer, cuDNN writes the third
   * there in the 16-bit type, and it is widened back into the float32 tensor. */
  int rank = spatial + 2;
  size_t counts[3] = {element_count(rank, x_dims), element_count(rank, w_dims), element_count(rank, y_dims)};
  void *floats[3] = {x, w, y};
  size_t offsets[3], total = 0;
  for (int i = 0; i < 3; i++) {
    offsets[i] = total;
    total += (counts[i] * 2 + 255) & ~(size_t)255;
  }
  void *staging = NULL;
  ECUD_TRY(ecud_half_staging(total, &staging));
  void *halves[3];
  int written = pass == ECUD_CONV_FORWARD ? 2 : pass == ECUD_CONV_BACKWARD_DATA ? 0 : 1;
  for (int i = 0; i < 3; i++) {
    halves[i] = (char *)staging + offsets[i];
    if (i != written) ECUD_TRY(ecud_cast_to_half(floats[i], halves[i], counts[i]));
  }
  ECUD_TRY(convolve(pass, data_type, ecud_half_cudnn_type(), spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, halves[0],
                    halves[1], halves[2], r));
  /* A find's output is whatever the last algorithm tried wrote: not worth widening. */
  return r->mode == FIND ? ECUD_OK : ecud_cast_from_half(halves[written], floats[written], counts[written]);
}

int ecud_convolution(int pass, int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                     const int *stride, const int *dilation, int groups, void *x, void *w, void *y) {
  request r = {RUN_HEURISTIC, 0, 0, 0, NULL, 0, NULL};
  return dispatch(pass, data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, y, &r);
}

int ecud_convolution_with(int pass, int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                          const int *stride, const int *dilation, int groups, void *x, void *w, void *y, int algo, int math, size_t workspace) {
  request r = {RUN_GIVEN, algo, math, workspace, NULL, 0, NULL};
  return dispatch(pass, data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, y, &r);
}

int ecud_convolution_find(int pass, int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                          const int *stride, const int *dilation, int groups, void *x, void *w, void *y, size_t workspace_limit,
                          ecud_algorithm *results, int capacity, int *returned) {
  if (!results || !returned || capacity < 1) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution_find: no room for results");
  *returned = 0;
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_convolution_find (cudnnFind*AlgorithmEx synchronises and times)"));
  request r = {FIND, 0, 0, workspace_limit, results, capacity, returned};
  return dispatch(pass, data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, y, &r);
}
