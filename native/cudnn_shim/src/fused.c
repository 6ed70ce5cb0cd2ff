/* Version 4 of the C API: the convolutions' tensor layout (ecud_set_layout; convolution.c builds
 * its descriptors in it) and the forward convolution with its bias and ReLU fused into one cuDNN
 * call (cudnnConvolutionBiasActivationForward), which saves the inference epilogue's pass over the
 * output. cuDNN computes act(alpha1·conv(x, w) + alpha2·z + bias); here alpha1 = 1, alpha2 = 0 and
 * z is y itself (read with weight 0, so its old contents do not matter). */
#include "shim.h"

#include <string.h>

int ecud_set_layout(int layout) {
  if (layout != ECUD_LAYOUT_NCHW && layout != ECUD_LAYOUT_NHWC) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_set_layout: layout %d", layout);
  ecud_g.layout = layout;
  return ECUD_OK;
}

/* The bias as a 1×K×1×1 (×1) tensor of the convolution's rank (4 for 1-D and 2-D, 5 for 3-D). */
static int bias_descriptor(ec_cudnnTensorDescriptor_t *d, int cudnn_type, int spatial, int channels) {
  int rank = spatial == 3 ? 5 : 4;
  int dims[5] = {1, channels, 1, 1, 1}, strides[5] = {channels, 1, 1, 1, 1};
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateTensorDescriptor(d), "cudnnCreateTensorDescriptor(bias)"));
  return ecud_check_cudnn(ecud_g.dnn.cudnnSetTensorNdDescriptor(*d, cudnn_type, rank, dims, strides), "cudnnSetTensorNdDescriptor(bias)");
}

static int fused_call(int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad, const int *stride,
                      const int *dilation, int groups, const void *x, const void *w, const void *bias, void *y, int relu, int algo, int math,
                      size_t workspace, ecud_conv_descriptors *d, ec_cudnnTensorDescriptor_t *b, ec_cudnnActivationDescriptor_t *act) {
  int type = data_type == ECUD_FLOAT32 ? EC_CUDNN_DATA_FLOAT : EC_CUDNN_DATA_DOUBLE;
  /* Strict float32 runs with FMA math whatever the candidate reported (as ecud_convolution_with). */
  int strict_fma = data_type == ECUD_FLOAT32 && ecud_g.strict;
  if (algo < 0) {
    algo = EC_CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    math = strict_fma ? EC_CUDNN_FMA_MATH : EC_CUDNN_DEFAULT_MATH;
  } else if (strict_fma) {
    math = EC_CUDNN_FMA_MATH;
  }
  ECUD_TRY(ecud_conv_create(d, type, type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, math));
  if (algo == EC_CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) {
    size_t needed = 0;
    ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnGetConvolutionForwardWorkspaceSize(ecud_g.cudnn, d->x, d->w, d->conv, d->y, algo, &needed),
                              "cudnnGetConvolutionForwardWorkspaceSize"));
    if (needed > workspace) workspace = needed;
  }
  ECUD_TRY(bias_descriptor(b, type, spatial, y_dims[1]));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnCreateActivationDescriptor(act), "cudnnCreateActivationDescriptor"));
  ECUD_TRY(ecud_check_cudnn(ecud_g.dnn.cudnnSetActivationDescriptor(*act, relu ? EC_CUDNN_ACTIVATION_RELU : EC_CUDNN_ACTIVATION_IDENTITY,
                                                                    EC_CUDNN_NOT_PROPAGATE_NAN, 0.0),
                            "cudnnSetActivationDescriptor"));
  ECUD_TRY(ecud_conv_workspace(workspace));
  float one_f = 1.0f, zero_f = 0.0f;
  double one_d = 1.0, zero_d = 0.0;
  const void *one = data_type == ECUD_FLOAT32 ? (const void *)&one_f : (const void *)&one_d;
  const void *zero = data_type == ECUD_FLOAT32 ? (const void *)&zero_f : (const void *)&zero_d;
  return ecud_check_cudnn(ecud_g.dnn.cudnnConvolutionBiasActivationForward(ecud_g.cudnn, one, d->x, x, d->w, w, d->conv, algo, ecud_g.workspace,
                                                                            ecud_g.workspace_bytes, zero, d->y, y, *b, bias, *act, d->y, y),
                          "cudnnConvolutionBiasActivationForward");
}

/* One try with its own descriptors. */
static int attempt(int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad, const int *stride,
                   const int *dilation, int groups, const void *x, const void *w, const void *bias, void *y, int relu, int algo, int math,
                   size_t workspace) {
  ecud_conv_descriptors d;
  memset(&d, 0, sizeof d);
  ec_cudnnTensorDescriptor_t b = 0;
  ec_cudnnActivationDescriptor_t act = 0;
  int status = fused_call(data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, bias, y, relu, algo, math, workspace,
                          &d, &b, &act);
  if (act) ecud_g.dnn.cudnnDestroyActivationDescriptor(act);
  if (b) ecud_g.dnn.cudnnDestroyTensorDescriptor(b);
  ecud_conv_destroy(&d);
  return status;
}

int ecud_convolution_bias_activation(int data_type, int spatial, const int *x_dims, const int *w_dims, const int *y_dims, const int *pad,
                                     const int *stride, const int *dilation, int groups, const void *x, const void *w, const void *bias, void *y,
                                     int relu, int algo, int math, size_t workspace) {
  ECUD_TRY(ecud_require_init());
  if (spatial < 1 || spatial > 3) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution_bias_activation: %d spatial axes (1 to 3 supported)", spatial);
  if (data_type != ECUD_FLOAT32 && data_type != ECUD_FLOAT64)
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution_bias_activation: data type %d is not float32 or float64", data_type);
  if (data_type == ECUD_FLOAT32 && ecud_half_precision())
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_convolution_bias_activation: not under bf16/fp16 precision (convolve, then apply the epilogue)");
  int status = attempt(data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, bias, y, relu, algo, math, workspace);
  /* cuDNN may not offer the fused call for every algorithm the plain forward measured fastest (it
   * refuses before queueing anything): IMPLICIT_PRECOMP_GEMM always is. */
  if (status == ECUD_ERROR_CUDNN && relu && algo >= 0 && algo != EC_CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
    status = attempt(data_type, spatial, x_dims, w_dims, y_dims, pad, stride, dilation, groups, x, w, bias, y, relu, -1, 0, 0);
  return status;
}
