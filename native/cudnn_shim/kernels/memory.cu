// Fills and the zero-padding copies that let cuDNN (symmetric padding only) run convolutions with
// asymmetric 'same' padding.

template <typename T> __device__ void fill_impl(i64 n, T* x, double value) {
  T v = (T)value;
  FOR_EACH(i, n) x[i] = v;
}
extern "C" __global__ void fill_f32(i64 n, float* x, double value) { fill_impl<float>(n, x, value); }
extern "C" __global__ void fill_f64(i64 n, double* x, double value) { fill_impl<double>(n, x, value); }
extern "C" __global__ void fill_i32(i64 n, int* x, double value) { fill_impl<int>(n, x, value); }

// planes × (d, h, w) source; destination (d + pd0 + pd1, h + ph0 + ph1, w + pw0 + pw1), the
// border zero. One thread per destination element. crop is the reverse (destination smaller).
template <typename T>
__device__ void pad_impl(i64 n, const T* source, T* destination, int d, int h, int w, int pd, int ph, int pw, int od, int oh, int ow) {
  FOR_EACH(i, n) {
    i64 rest = i;
    int x = (int)(rest % ow); rest /= ow;
    int y = (int)(rest % oh); rest /= oh;
    int z = (int)(rest % od); rest /= od;
    i64 plane = rest;
    int sx = x - pw, sy = y - ph, sz = z - pd;
    T v = (T)0;
    if (sx >= 0 && sx < w && sy >= 0 && sy < h && sz >= 0 && sz < d) v = source[((plane * d + sz) * h + sy) * w + sx];
    destination[i] = v;
  }
}
extern "C" __global__ void pad_f32(i64 n, const float* s, float* t, int d, int h, int w, int pd, int ph, int pw, int od, int oh, int ow) {
  pad_impl<float>(n, s, t, d, h, w, pd, ph, pw, od, oh, ow);
}
extern "C" __global__ void pad_f64(i64 n, const double* s, double* t, int d, int h, int w, int pd, int ph, int pw, int od, int oh, int ow) {
  pad_impl<double>(n, s, t, d, h, w, pd, ph, pw, od, oh, ow);
}

// destination planes × (d, h, w) = the window of a padded source (pd, ph, pw) offset, (sd, sh, sw) size.
template <typename T>
__device__ void crop_impl(i64 n, const T* source, T* destination, int d, int h, int w, int pd, int ph, int pw, int sd, int sh, int sw) {
  FOR_EACH(i, n) {
    i64 rest = i;
    int x = (int)(rest % w); rest /= w;
    int y = (int)(rest % h); rest /= h;
    int z = (int)(rest % d); rest /= d;
    i64 plane = rest;
    destination[i] = source[((plane * sd + (z + pd)) * sh + (y + ph)) * sw + (x + pw)];
  }
}
extern "C" __global__ void crop_f32(i64 n, const float* s, float* t, int d, int h, int w, int pd, int ph, int pw, int sd, int sh, int sw) {
  crop_impl<float>(n, s, t, d, h, w, pd, ph, pw, sd, sh, sw);
}
extern "C" __global__ void crop_f64(i64 n, const double* s, double* t, int d, int h, int w, int pd, int ph, int pw, int sd, int sh, int sw) {
  crop_impl<double>(n, s, t, d, h, w, pd, ph, pw, sd, sh, sw);
}
