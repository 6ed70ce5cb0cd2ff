/* Convolutions with cuDNN's legacy API: descriptors per call (host-only, cheap) and the algorithm
 * chosen once per shape by cuDNN's heuristics under a workspace limit, then cached. In strict mode
 * float32 convolutions use FMA math (no TF32) and only deterministic algorithms. */
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

typedef struct descriptors {
  ec_cudnnTensorDescriptor_t x, y;
  ec_cudnnFilterDescriptor_t w;
  ec_cudnnConvolutionDescriptor_t conv;
} descriptors;

static void destroy(descriptors *d) {
  if (d->x) ecud_g.dnn.cudnnDestroyTensorDescriptor(d->x);
  if (d->y) ecud_g.dnn.cudnnDestroyTensorDescriptor(d->y);
  if (d->w) ecud_g.dnn.cudnnDestroyFilterDescriptor(d->w);
  if (d->conv) ecud_g.dnn.cudnnDestroyConvolutionDescriptor(d->conv);
}

static void packed_strides(int rank, const int *dims, int *strides) {
  strides[rank - 1] = 1;
  for (int i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
}

/* cuDNN wants at least 4-D tensors: a 1-D convolution becomes 2-D with a height of 1. */
static int create(descriptors *d, int cudnn_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims,
                  const int *pad, const int *stride, const int *dilation, int groups, int math) {
  int rank = spatial == 1 ? 4 : spatial + 2;
  int xd[MAX_RANK], wd[MAX_RANK], yd[MAX_RANK], xs[MAX_RANK], ys[MAX_RANK];
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
  packed_strides(rank, xd, xs);
  packed_strides(rank, yd, ys);
  memset(d, 0, sizeof *d);
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateTensorDescriptor(&d->x), "cudnnCreateTensorDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateTensorDescriptor(&d->y), "cudnnCreateTensorDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateFilterDescriptor(&d->w), "cudnnCreateFilterDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateConvolutionDescriptor(&d->conv), "cudnnCreateConvolutionDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetTensorNdDescriptor(d->x, cudnn_type, rank, xd, xs), "cudnnSetTensorNdDescriptor(x)"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetTensorNdDescriptor(d->y, cudnn_type, rank, yd, ys), "cudnnSetTensorNdDescriptor(y)"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetFilterNdDescriptor(d->w, cudnn_type, EC_CUDNN_TENSOR_NCHW, rank, wd), "cudnnSetFilterNdDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionNdDescriptor(d->conv, conv_rank, p, s, dl, EC_CUDNN_CROSS_CORRELATION, cudnn_type),
                            "cudnnSetConvolutionNdDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionGroupCount(d->conv, groups), "cudnnSetConvolutionGroupCount"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionMathType(d->conv, math), "cudnnSetConvolutionMathType"));
  return ECUD_OK;
}

static int ensure_workspace(size_t bytes) {
  if (bytes <= ecud_g.workspace_bytes) return ECUD_OK;
  ECUD_TRY(ecud_refuse_in_capture("growing the convolution workspace (cudaMalloc)"));
  /* Growing frees the old block: wait until no queued work uses it. */
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamSynchronize(ecud_g.stream), "cudaStreamSynchronize"));
  if (ecud_g.workspace) ecud_g.rt.cudaFree(ecud_g.workspace);
  ecud_g.workspace = NULL;
  ecud_g.workspace_bytes = 0;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaMalloc(&ecud_g.workspace, bytes), "cudaMalloc(convolution workspace)"));
  ecud_g.workspace_bytes = bytes;
  return ECUD_OK;
}

static const char *pass_name(int pass) {
  return pass == ECUD_CONV_FORWARD ? "forward" : pass == ECUD_CONV_BACKWARD_DATA ? "backward data" : "backward filter";
}

/* Picks the first of cuDNN's ranked candidates that succeeds, fits the workspace limit, and (in
 * strict mode) is deterministic and uses no tensor-core math for float32. */
static int choose(int pass, descriptors *d, int cudnn_type, algo_entry *entry) {
  ec_cudnnAlgoPerf perf[16];
  int returned = 0;
  memset(perf, 0, sizeof perf);
  if (pass == ECUD_CONV_FORWARD)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionForwardAlgorithm_v7(ecud_g.cudnn, d->x, d->w, d->conv, d->y, 16, &returned, perf),
                              "cudnnGetConvolutionForwardAlgorithm_v7"));
  else if (pass == ECUD_CONV_BACKWARD_DATA)
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(ecud_g.cudnn, d->w, d->y, d->conv, d->x, 16, &returned, perf),
                              "cudnnGetConvolutionBackwardDataAlgorithm_v7"));
  else
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(ecud_g.cudnn, d->x, d->y, d->conv, d->w, 16, &returned, perf),
                              "cudnnGetConvolutionBackwardFilterAlgorithm_v7"));
  for (int pick_strictly = 1; pick_strictly >= 0; pick_strictly--) {
    for (int i = 0; i < returned; i++) {
      if (perf[i].status != EC_CUDNN_STATUS_SUCCESS || perf[i].memory > WORKSPACE_LIMIT) continue;
      if (ecud_g.strict && pick_strictly) {
        if (perf[i].determinism != EC_CUDNN_DETERMINISTIC) continue;
        if (cudnn_type == EC_CUDNN_DATA_FLOAT && perf[i].mathType != EC_CUDNN_DEFAULT_MATH && perf[i].mathType != EC_CUDNN_FMA_MATH) continue;
      }
      entry->algo = perf[i].algo;
      entry->math = ecud_g.strict && cudnn_type == EC_CUDNN_DATA_FLOAT ? EC_CUDNN_FMA_MATH : perf[i].mathType;
      entry->workspace = perf[i].memory;
      return ECUD_OK;
    }
    if (!ecud_g.strict) break;
  }
  return ecud_fail(ECUD_ERROR_CUDNN, "cuDNN: no %s convolution algorithm for this shape (%d candidates, none usable)", pass_name(pass), returned);
}

int ecud_convolution(int pass, int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                     const int *stride, const int *dilation, int groups, void *x, void *w, void *y) {
  ECUD_TRY(ecud_require_init());
  if (spatial < 1 || spatial > 3) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution: %d spatial axes (1 to 3 supported)", spatial);
  if (data_type != ECUD_FLOAT32 && data_type != ECUD_FLOAT64)
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution: data type %d is not float32 or float64", data_type);
  int cudnn_type = data_type == ECUD_FLOAT32 ? EC_CUDNN_DATA_FLOAT : EC_CUDNN_DATA_DOUBLE;
  int rank = spatial + 2;

  int key[sizeof(((algo_entry *)0)->key) / sizeof(int)];
  int length = 0;
  memset(key, 0, sizeof key);
  key[length++] = pass;
  key[length++] = data_type;
  key[length++] = spatial * 1000 + groups;
  key[length++] = ecud_g.strict;
  for (int i = 0; i < rank; i++) { key[length++] = x_dims[i]; key[length++] = w_dims[i]; key[length++] = y_dims[i]; }
  for (int i = 0; i < spatial; i++) { key[length++] = pad[i]; key[length++] = stride[i]; key[length++] = dilation[i]; }
  unsigned bucket = hash_key(key, (int)(sizeof key / sizeof(int)));
  algo_entry *entry = algo_cache[bucket];
  while (entry && memcmp(entry->key, key, sizeof key) != 0) entry = entry->next;

  descriptors d;
  int math = data_type == ECUD_FLOAT32 && ecud_g.strict ? EC_CUDNN_FMA_MATH : EC_CUDNN_DEFAULT_MATH;
  int status = create(&d, cudnn_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, entry ? entry->math : math);
  if (status != ECUD_OK) { destroy(&d); return status; }
  if (!entry) {
    entry = (algo_entry *)calloc(1, sizeof *entry);
    if (!entry) { destroy(&d); return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory"); }
    memcpy(entry->key, key, sizeof key);
    status = choose(pass, &d, cudnn_type, entry);
    if (status != ECUD_OK) { free(entry); destroy(&d); return status; }
    entry->next = algo_cache[bucket];
    algo_cache[bucket] = entry;
    status = ecud_check_cudnn(ecud_g.dnn.cudnnSetConvolutionMathType(d.conv, entry->math), "cudnnSetConvolutionMathType");
    if (status != ECUD_OK) { destroy(&d); return status; }
  }
  status = ensure_workspace(entry->workspace);
  if (status != ECUD_OK) { destroy(&d); return status; }

  float one_f = 1.0f, zero_f = 0.0f;
  double one_d = 1.0, zero_d = 0.0;
  const void *one = data_type == ECUD_FLOAT32 ? (const void *)&one_f : (const void *)&one_d;
  const void *zero = data_type == ECUD_FLOAT32 ? (const void *)&zero_f : (const void *)&zero_d;
  if (pass == ECUD_CONV_FORWARD)
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionForward(ecud_g.cudnn, one, d.x, x, d.w, w, d.conv, entry->algo, ecud_g.workspace,
                                                                 ecud_g.workspace_bytes, zero, d.y, y), "cudnnConvolutionForward");
  else if (pass == ECUD_CONV_BACKWARD_DATA)
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionBackwardData(ecud_g.cudnn, one, d.w, w, d.y, y, d.conv, entry->algo, ecud_g.workspace,
                                                                      ecud_g.workspace_bytes, zero, d.x, x), "cudnnConvolutionBackwardData");
  else
    status = ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionBackwardFilter(ecud_g.cudnn, one, d.x, x, d.y, y, d.conv, entry->algo, ecud_g.workspace,
                                                                        ecud_g.workspace_bytes, zero, d.w, w), "cudnnConvolutionBackwardFilter");
  destroy(&d);
  return status;
}
