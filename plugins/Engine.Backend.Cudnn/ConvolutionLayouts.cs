namespace Engine.Backend.Cudnn;

/// <summary>Which tensor layout the backend gives cuDNN for its convolutions (the engine's tensors stay N×C×spatial).</summary>
internal enum ConvolutionLayoutMode
{
    /// <summary>Always NCHW, the engine's layout: no copies (the default).</summary>
    Nchw,

    /// <summary>Always channels last: the operands are copied to NHWC before the call and the result back after it.</summary>
    Nhwc,

    /// <summary>NHWC where tensor cores want it (<see cref="ConvolutionLayouts.ChannelsLast"/>), NCHW elsewhere.</summary>
    Auto,
}

/// <summary>
/// The per-convolution layout choice of --cudnn-layout (ENGINE_CUDNN_LAYOUT): nchw, nhwc or auto.
/// cuDNN's tensor-core kernels for 16-bit operands work in NHWC and transpose NCHW operands
/// themselves, so a channels-last call can be faster even with the backend's two copies around it;
/// whether it is, per model and precision, is what the GPU bench measures (benchmarks/gpu/run_gpu_speed.sh).
/// A call cuDNN has no channels-last algorithm for runs NCHW instead (the backend's fallback, remembered here).
/// </summary>
internal sealed class ConvolutionLayouts(ConvolutionLayoutMode mode)
{
    /// <summary>Set by the CLI's --cudnn-layout.</summary>
    public const string Variable = "ENGINE_CUDNN_LAYOUT";

    // Calls cuDNN had no channels-last algorithm for (on an H200 with cuDNN 9: float64 backward data,
    // 3-D float64 convolutions): they run in the engine's layout from then on.
    private readonly HashSet<ConvolutionKey> _withoutAlgorithm = [];
    private readonly Lock _gate = new();

    /// <summary>The mode.</summary>
    public ConvolutionLayoutMode Mode { get; } = mode;

    /// <summary>How many calls (distinct shapes) found no channels-last algorithm.</summary>
    public int WithoutAlgorithm
    {
        get
        {
            lock (_gate)
            {
                return _withoutAlgorithm.Count;
            }
        }
    }

    /// <summary>Whether cuDNN was found to have no channels-last algorithm for this call.</summary>
    public bool KnownWithoutAlgorithm(in ConvolutionKey key)
    {
        lock (_gate)
        {
            return _withoutAlgorithm.Contains(key);
        }
    }

    /// <summary>Remembers that cuDNN has no channels-last algorithm for this call.</summary>
    public void RememberWithoutAlgorithm(in ConvolutionKey key)
    {
        lock (_gate)
        {
            _withoutAlgorithm.Add(key);
        }
    }

    /// <summary>The mode the environment asks for (nchw when unset).</summary>
    public static ConvolutionLayouts FromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        return new ConvolutionLayouts(value switch
        {
            null or "" or "nchw" => ConvolutionLayoutMode.Nchw,
            "nhwc" => ConvolutionLayoutMode.Nhwc,
            "auto" => ConvolutionLayoutMode.Auto,
            _ => throw new BackendException($"{Variable}={value}: give nchw, nhwc or auto"),
        });
    }

    /// <summary>
    /// Whether a convolution runs channels last. auto: 2-D float32 convolutions under bf16/fp16 whose
    /// channels per group and filters are multiples of 8 (the tensor cores' NHWC kernels want
    /// that alignment, and cuDNN transposes NCHW 16-bit operands itself otherwise).
    /// </summary>
    public bool ChannelsLast(ShimPrecision precision, DataType type, int spatialRank, int channelsPerGroup, int filters) => Mode switch
    {
        ConvolutionLayoutMode.Nhwc => true,
        ConvolutionLayoutMode.Auto => type == DataType.Float32 && (precision is ShimPrecision.Bf16 or ShimPrecision.Fp16) && spatialRank == 2
            && channelsPerGroup % 8 == 0 && filters % 8 == 0,
        _ => false,
    };

    /// <summary>For the backend's description.</summary>
    public string Describe() => Mode switch
    {
        ConvolutionLayoutMode.Nhwc => "convolutions channels last (NHWC copies around each)",
        ConvolutionLayoutMode.Auto => "convolutions channels last where tensor cores want it (auto)",
        _ => "convolutions NCHW",
    };
}
