using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// What --precision means beyond the backend's own math (which the backend reads from
/// ENGINE_PRECISION): bf16 and fp16 are mixed precision on a GPU backend, refused on a backend that
/// computes in float32 only, and fp16 training gets dynamic loss scaling (<see cref="LossScaler"/>).
/// Weights, optimiser state and checkpoints stay float32 in every mode.
/// </summary>
internal static class PrecisionChoice
{
    /// <summary>Whether <paramref name="precision"/> (a --precision value) casts convolution and GEMM operands to a 16-bit type.</summary>
    public static bool IsMixed(string? precision) => precision is "bf16" or "fp16";

    /// <summary>Refuses bf16 and fp16 on a backend that is not a GPU backend (the CPU backends compute in float32 only).</summary>
    public static void RequireSupport(string? precision, IBackend backend)
    {
        if (IsMixed(precision) && backend.Device != DeviceKind.Gpu)
        {
            throw new ConfigurationException($"--precision {precision}: the {backend.Name} backend computes convolutions and GEMMs in float32 only; "
                + "bf16 and fp16 mixed precision run on a GPU backend (--device gpu)");
        }
    }

    /// <summary>The loss scaler fp16 training needs (2^16 at first, as PyTorch's GradScaler); null in the other modes.</summary>
    public static LossScaler? LossScaler(string? precision) => precision == "fp16" ? new LossScaler() : null;
}
