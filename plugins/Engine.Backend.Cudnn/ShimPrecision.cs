namespace Engine.Backend.Cudnn;

/// <summary>
/// The math of float32 convolutions and GEMMs, numbered as the shim's ECUD_PRECISION_* (ecud.h).
/// Bf16 and Fp16 are mixed precision as PyTorch's autocast: the operands are cast to the 16-bit type
/// in device memory and cuDNN / cuBLAS accumulate in float32 on tensor cores; every tensor (weights,
/// optimiser state, batch-norm statistics, activations) stays float32 in memory.
/// </summary>
internal enum ShimPrecision
{
    /// <summary>TF32 tensor cores where the GPU has them (the default).</summary>
    Tf32 = 0,

    /// <summary>Plain float32 FMA and deterministic algorithms.</summary>
    Strict = 1,

    /// <summary>bfloat16 operands (8-bit exponent, 7-bit mantissa), float32 accumulation.</summary>
    Bf16 = 2,

    /// <summary>IEEE half operands (5-bit exponent, 10-bit mantissa), float32 accumulation; training needs loss scaling.</summary>
    Fp16 = 3,
}

/// <summary>What each <see cref="ShimPrecision"/> means for the backend's description and traits.</summary>
internal static class ShimPrecisionExtensions
{
    public static string Describe(this ShimPrecision precision) => precision switch
    {
        ShimPrecision.Strict => "strict float32",
        ShimPrecision.Bf16 => "bf16 mixed precision for float32 convolutions and GEMMs (float32 accumulation)",
        ShimPrecision.Fp16 => "fp16 mixed precision for float32 convolutions and GEMMs (float32 accumulation)",
        _ => "TF32 for float32 convolutions and GEMMs",
    };

    /// <summary>
    /// Relative error the conformance kit allows: a product of two operands rounded to a p-bit
    /// mantissa is off by up to 2^-p, and a convolution's 16-bit output adds one more rounding.
    /// </summary>
    public static double Float32Tolerance(this ShimPrecision precision) => precision switch
    {
        ShimPrecision.Strict => 1e-4,
        ShimPrecision.Bf16 => 5e-2,
        _ => 1e-2,
    };
}
