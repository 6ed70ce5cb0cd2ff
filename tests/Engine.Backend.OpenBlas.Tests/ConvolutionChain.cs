namespace Engine.Backend.OpenBlas.Tests;

/// <summary>
/// The reference the direct convolution kernels are held to bit for bit: each output the chain of fused multiply-adds
/// over the column-matrix rows (channel, tap row, tap column) in order from 0, the padding read as zeros (im2col + the
/// packed GEMM's chain), then the separate epilogue pass's per-plane function. Shared by the kernels' test classes.
/// </summary>
internal static unsafe class ConvolutionChain
{
    /// <summary>
    /// Forward of the whole batch through <see cref="ConvolutionKernels"/> as the paths' switches stand (the caller sets them),
    /// with the inference epilogue when <paramref name="epilogue"/> and a residual block's shortcut when <paramref name="residual"/> is given.
    /// </summary>
    public static float[] Kernels(ConvolutionLayout l, float[] x, float[] w, float[] scale, float[] shift, bool epilogue, Activation? activation, float[]? residual)
    {
        float[] y = new float[l.Batch * l.Filters * l.OutputSize];
        var workspace = new ConvolutionWorkspace();
        try
        {
            fixed (float* px = x, pw = w, py = y, ps = scale, pb = shift, pr = residual)
            {
                var apply = epilogue ? new ConvolutionEpilogue((nint)ps, (nint)pb, activation, 0) : default;
                apply = residual is null ? apply : apply.WithResidual((nint)pr, (nint)py);
                ConvolutionKernels.Run(ConvolutionPass.Forward, false, l, DataType.Float32, (nint)px, (nint)pw, (nint)py, workspace, apply);
            }
        }
        finally
        {
            workspace.Release();
        }
        return y;
    }

    /// <summary>y[n, k, p] = the FMA chain over the column-matrix rows (c, ky, kx) in order from 0, padding read as 0 (2-D, no dilation).</summary>
    public static float[] Scalar(ConvolutionLayout l, float[] x, float[] w)
    {
        ConvolutionAxis h = l.Height, v = l.Width;
        float[] y = new float[l.Batch * l.Filters * l.OutputSize];
        for (int n = 0; n < l.Batch; n++)
        {
            for (int k = 0; k < l.Filters; k++)
            {
                for (int oy = 0; oy < h.Output; oy++)
                {
                    for (int ox = 0; ox < v.Output; ox++)
                    {
                        float acc = 0;
                        for (int c = 0; c < l.Channels; c++)
                        {
                            for (int ky = 0; ky < h.Kernel; ky++)
                            {
                                for (int kx = 0; kx < v.Kernel; kx++)
                                {
                                    int iy = oy * h.Stride + ky - h.Pad, ix = ox * v.Stride + kx - v.Pad;
                                    float value = iy >= 0 && iy < h.Input && ix >= 0 && ix < v.Input ? x[((n * l.Channels + c) * h.Input + iy) * v.Input + ix] : 0f;
                                    acc = MathF.FusedMultiplyAdd(w[((k * l.Channels + c) * h.Kernel + ky) * v.Kernel + kx], value, acc);
                                }
                            }
                        }
                        y[((n * l.Filters + k) * h.Output + oy) * v.Output + ox] = acc;
                    }
                }
            }
        }
        return y;
    }

    /// <summary>The chain's outputs through the separate epilogue pass's per-plane function (a residual added before the activation).</summary>
    public static float[] Epilogue(ConvolutionLayout l, float[] chain, float[] scale, float[] shift, Activation? activation, float[]? residual = null)
    {
        float[] y = (float[])chain.Clone();
        for (int n = 0; n < l.Batch; n++)
        {
            for (int k = 0; k < l.Filters; k++)
            {
                int at = (n * l.Filters + k) * l.OutputSize;
                var plane = new Span<float>(y, at, l.OutputSize);
                ChannelAffineKernels.Plane<float>(plane, scale[k], shift[k], plane, activation, 0f,
                    residual is null ? default : new ReadOnlySpan<float>(residual, at, l.OutputSize));
            }
        }
        return y;
    }

    /// <summary>A 3×3 layer (dilation 1) of <paramref name="height"/> × <paramref name="width"/> inputs with the given padding and stride.</summary>
    public static ConvolutionLayout Layout(int batch, int channels, int height, int width, int filters, int pad = 1, int stride = 1)
    {
        var h = new ConvolutionAxis(height, (height + 2 * pad - 3) / stride + 1, 3, stride, pad, 1);
        var v = new ConvolutionAxis(width, (width + 2 * pad - 3) / stride + 1, 3, stride, pad, 1);
        return new ConvolutionLayout(batch, channels, filters, 1, ConvolutionAxis.Unit, h, v);
    }

    /// <summary>Uniform values in [−1, 1).</summary>
    public static float[] Values(Random rng, int count)
    {
        float[] v = new float[count];
        for (int i = 0; i < count; i++)
        {
            v[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        return v;
    }

    /// <summary>
    /// Some inputs made −0 (one in 8), +0, NaN or ±∞ (one in 5,000 each): products with the padding's skipped zeros must not
    /// matter, and NaN/∞ reach only the outputs whose valid taps read them.
    /// </summary>
    public static float[] Special(Random rng, float[] x)
    {
        for (int i = 0; i < x.Length; i++)
        {
            int d = rng.Next(5000);
            x[i] = d switch
            {
                < 625 => -0f,
                < 660 => 0f,
                660 => float.NaN,
                661 => float.PositiveInfinity,
                662 => float.NegativeInfinity,
                _ => x[i],
            };
        }
        (x[x.Length / 3], x[2 * x.Length / 3], x[^1]) = (float.NaN, float.PositiveInfinity, float.NegativeInfinity);
        return x;
    }
}
