using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Engine.Backend.Cudnn;

/// <summary>One candidate of the shim's ecud_convolution_find (ecud_algorithm in ecud.h, same layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ConvolutionAlgorithm
{
    /// <summary>Workspace bytes it needs.</summary>
    public nuint Workspace;

    /// <summary>cuDNN's algorithm number for the pass (cudnnConvolution{Fwd,BwdData,BwdFilter}Algo_t).</summary>
    public int Algo;

    /// <summary>0 when it ran; anything else: it could not (workspace over the limit, not supported).</summary>
    public int Status;

    /// <summary>Measured time in milliseconds.</summary>
    public float TimeMs;

    /// <summary>1 when cuDNN reports it deterministic.</summary>
    public int Deterministic;

    /// <summary>cudnnMathType_t it ran with (0 default, 1 tensor op, 2 tensor op allowing conversion, 3 FMA).</summary>
    public int Math;

    private readonly int _reserved;

    public override readonly string ToString() =>
        FormattableString.Invariant($"algo {Algo} ({TimeMs:F3} ms, {(ulong)Workspace} bytes, math {Math}{(Deterministic == 1 ? ", deterministic" : "")})");
}

/// <summary>
/// A convolution call's identity for the algorithm cache: pass, data type, precision, the three
/// operands' dimensions, padding, strides, dilations and groups (what cuDNN's choice depends on).
/// </summary>
[InlineArray(Length)]
internal struct ConvolutionKey : IEquatable<ConvolutionKey>
{
    public const int Length = 4 + 3 * 5 + 3 * 3;
    private int _first;

    public static unsafe ConvolutionKey Create(int pass, int dataType, int precision, int groups, int rank, int* x, int* w, int* y, int* pad,
        int* stride, int* dilation)
    {
        var key = default(ConvolutionKey);
        Span<int> k = key;
        k[0] = pass;
        k[1] = dataType;
        k[2] = precision;
        k[3] = groups * 8 + rank;
        for (int i = 0; i < rank + 2; i++)
        {
            k[4 + i] = x[i];
            k[9 + i] = w[i];
            k[14 + i] = y[i];
        }
        for (int i = 0; i < rank; i++)
        {
            k[19 + i] = pad[i];
            k[22 + i] = stride[i];
            k[25 + i] = dilation[i];
        }
        return key;
    }

    /// <summary>The pass (0 forward, 1 backward data, 2 backward filter).</summary>
    public readonly int Pass => ((ReadOnlySpan<int>)this)[0];

    public readonly bool Equals(ConvolutionKey other) => ((ReadOnlySpan<int>)this).SequenceEqual(other);

    public override readonly bool Equals(object? obj) => obj is ConvolutionKey other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes((ReadOnlySpan<int>)this));
        return hash.ToHashCode();
    }
}

/// <summary>
/// Measured algorithm choice, once per convolution shape: the first call of a shape times every
/// algorithm cuDNN has (cudnnFind*AlgorithmEx through the shim) within the workspace budget, and
/// <see cref="Choose"/> keeps the fastest usable one; later calls of that shape reuse it. In
/// deterministic mode (strict precision) only deterministic plain-sum algorithms without tensor-core
/// math qualify (<see cref="PlainSum"/>); strict precision uses cuDNN's heuristic choice unless measured
/// algorithms are asked for. A shape with no usable candidate, or first met while a CUDA graph is
/// being captured (a find synchronises, which a capture cannot hold), runs on cuDNN's heuristic choice instead.
/// </summary>
internal sealed class ConvolutionAlgorithms(long workspaceBudget, bool deterministic)
{
    /// <summary>measured (the default, but for strict precision) or heuristic (cuDNN's ranked guess, as before measuring); set by the CLI's --cudnn-algorithms.</summary>
    public const string ModeVariable = "ENGINE_CUDNN_ALGORITHMS";

    /// <summary>Workspace limit in MiB of the measured choice (default <see cref="DefaultWorkspaceMiB"/>); set by the CLI's --cudnn-workspace-mb.</summary>
    public const string WorkspaceVariable = "ENGINE_CUDNN_WORKSPACE_MB";

    /// <summary>The default workspace limit: the shim's heuristic path uses the same.</summary>
    public const int DefaultWorkspaceMiB = 1024;

    /// <summary>The heuristic fallback, cached like a choice so that a shape is measured once.</summary>
    public static readonly ConvolutionAlgorithm Heuristic = new() { Algo = -1 };

    private const int FmaMath = 3, DefaultMath = 0;
    private readonly Dictionary<ConvolutionKey, ConvolutionAlgorithm> _choices = [];
    private readonly Lock _gate = new();

    /// <summary>The workspace limit of every measured choice, in bytes.</summary>
    public long WorkspaceBudget { get; } = workspaceBudget;

    /// <summary>Deterministic algorithms only (strict precision).</summary>
    public bool Deterministic { get; } = deterministic;

    /// <summary>Times the candidates were measured (one per shape, for tests and the bench).</summary>
    public int Finds { get; private set; }

    /// <summary>Shapes with a choice (measured or the heuristic fallback).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _choices.Count;
            }
        }
    }

    /// <summary>
    /// The measured choice the environment asks for, or null for cuDNN's heuristics: asked for, or by
    /// default in deterministic (strict) mode, whose promise is plain float32 sums computed the same
    /// way every run, not speed (cuDNN's heuristics rank for the shape, without timing noise).
    /// </summary>
    public static ConvolutionAlgorithms? FromEnvironment(bool deterministic)
    {
        string? mode = Environment.GetEnvironmentVariable(ModeVariable);
        if (mode is "heuristic" || (deterministic && string.IsNullOrEmpty(mode)))
        {
            return null;
        }
        if (mode is not (null or "" or "measured"))
        {
            throw new BackendException($"{ModeVariable}={mode}: give measured or heuristic");
        }
        string? megabytes = Environment.GetEnvironmentVariable(WorkspaceVariable);
        long budget = DefaultWorkspaceMiB;
        if (!string.IsNullOrEmpty(megabytes) && (!long.TryParse(megabytes, out budget) || budget < 0 || budget > 1L << 20))
        {
            throw new BackendException($"{WorkspaceVariable}={megabytes}: give the workspace limit in MiB, 0 to {1 << 20}");
        }
        return new ConvolutionAlgorithms(budget << 20, deterministic);
    }

    /// <summary>How the backend describes it.</summary>
    public string Describe() => FormattableString.Invariant(
        $"convolution algorithms measured once per shape (cudnnFind) within a {WorkspaceBudget >> 20} MiB workspace{(Deterministic ? ", deterministic plain sums only" : "")}");

    /// <summary>The choices so far (for tests).</summary>
    public ConvolutionAlgorithm[] Choices()
    {
        lock (_gate)
        {
            return [.. _choices.Values];
        }
    }

    /// <summary>The algorithm already chosen for <paramref name="key"/>, if any.</summary>
    public bool TryGet(in ConvolutionKey key, out ConvolutionAlgorithm algorithm)
    {
        lock (_gate)
        {
            return _choices.TryGetValue(key, out algorithm);
        }
    }

    /// <summary>
    /// Chooses among the candidates just measured for <paramref name="key"/> and keeps the choice
    /// (<see cref="Heuristic"/> when none qualifies, so the shape is not measured again).
    /// </summary>
    public ConvolutionAlgorithm Record(in ConvolutionKey key, ReadOnlySpan<ConvolutionAlgorithm> candidates)
    {
        ConvolutionAlgorithm chosen = Choose(key.Pass, candidates, WorkspaceBudget, Deterministic) ?? Heuristic;
        lock (_gate)
        {
            Finds++;
            _choices[key] = chosen;
        }
        return chosen;
    }

    /// <summary>
    /// The fastest candidate of <paramref name="pass"/> that ran, fits <paramref name="workspaceBudget"/> and, when
    /// <paramref name="deterministic"/>, is deterministic, a <see cref="PlainSum"/> and has plain float math (no TF32);
    /// ties keep cuDNN's order. Null when none qualifies.
    /// </summary>
    public static ConvolutionAlgorithm? Choose(int pass, ReadOnlySpan<ConvolutionAlgorithm> candidates, long workspaceBudget, bool deterministic)
    {
        ConvolutionAlgorithm? best = null;
        foreach (ConvolutionAlgorithm c in candidates)
        {
            bool usable = c.Status == 0 && c.TimeMs >= 0 && (ulong)c.Workspace <= (ulong)Math.Max(0, workspaceBudget)
                && (!deterministic || (c.Deterministic == 1 && PlainSum(pass, c.Algo) && (c.Math == DefaultMath || c.Math == FmaMath)));
            if (usable && (best is null || c.TimeMs < best.Value.TimeMs))
            {
                best = c;
            }
        }
        return best;
    }

    /// <summary>
    /// Whether cuDNN's algorithm <paramref name="algo"/> of <paramref name="pass"/> sums products as they are:
    /// FFT and Winograd ones compute through a transform, whose float32 error spreads over every output
    /// relative to the largest (GPU run 5, strict: a filter tap that never overlaps the input came out
    /// 1.64e-4 instead of 0). Forward IMPLICIT_GEMM, IMPLICIT_PRECOMP_GEMM, GEMM, DIRECT; backward data
    /// ALGO_0, ALGO_1; backward filter ALGO_0, ALGO_1, ALGO_3 (the shim's strict heuristic choice keeps the same).
    /// </summary>
    public static bool PlainSum(int pass, int algo) => pass switch
    {
        0 => algo is >= 0 and <= 3,
        1 => algo is 0 or 1,
        _ => algo is 0 or 1 or 3,
    };
}
