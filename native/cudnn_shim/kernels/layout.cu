// Channels-first ↔ channels-last copies: the boundaries of a convolution the cudnn backend runs in
// NHWC (ecud_set_layout) while the engine's tensors stay N×C×S. Filters use the same kernels with
// K as the batch and C/groups as the channels (K×C×S ↔ K×S×C). One thread per element written.

// y[b, s, c] = x[b, c, s]; n = B·C·S.
template <typename T> __device__ void to_channels_last_impl(i64 n, const T* x, T* y, int channels, i64 spatial) {
  FOR_EACH(i, n) {
    i64 c = i % channels, rest = i / channels, s = rest % spatial, b = rest / spatial;
    y[i] = x[(b * channels + c) * spatial + s];
  }
}
extern "C" __global__ void to_channels_last_f32(i64 n, const float* x, float* y, int channels, i64 spatial) {
  to_channels_last_impl<float>(n, x, y, channels, spatial);
}
extern "C" __global__ void to_channels_last_f64(i64 n, const double* x, double* y, int channels, i64 spatial) {
  to_channels_last_impl<double>(n, x, y, channels, spatial);
}

// y[b, c, s] = x[b, s, c]; n = B·C·S.
template <typename T> __device__ void to_channels_first_impl(i64 n, const T* x, T* y, int channels, i64 spatial) {
  FOR_EACH(i, n) {
    i64 s = i % spatial, rest = i / spatial, c = rest % channels, b = rest / channels;
    y[i] = x[(b * spatial + s) * channels + c];
  }
}
extern "C" __global__ void to_channels_first_f32(i64 n, const float* x, float* y, int channels, i64 spatial) {
  to_channels_first_impl<float>(n, x, y, channels, spatial);
}
extern "C" __global__ void to_channels_first_f64(i64 n, const double* x, double* y, int channels, i64 spatial) {
  to_channels_first_impl<double>(n, x, y, channels, spatial);
}
