namespace Engine;

/// <summary>
/// Lower-case names of ops and activations for messages (<c>convolution</c>, <c>leaky_relu</c>),
/// built once per enum value so that naming an op on a hot path allocates nothing.
/// </summary>
public static class OpNames
{
    private static readonly Dictionary<BackendOp, string> Ops = Enum.GetValues<BackendOp>().ToDictionary(v => v, Snake);
    private static readonly Dictionary<Activation, string> Activations = Enum.GetValues<Activation>().ToDictionary(v => v, Snake);

    /// <summary>The name of <paramref name="op"/>, e.g. <c>optimizer_update</c>.</summary>
    public static string Of(BackendOp op) => Ops.TryGetValue(op, out string? name) ? name : Snake(op);

    /// <summary>The name of <paramref name="activation"/>, e.g. <c>leaky_relu</c>.</summary>
    public static string Of(Activation activation) => Activations.TryGetValue(activation, out string? name) ? name : Snake(activation);

    // PascalCase → snake_case: LeakyRelu → leaky_relu.
    private static string Snake<T>(T value) where T : struct, Enum
    {
        string text = value.ToString();
        var result = new System.Text.StringBuilder(text.Length + 4);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsUpper(c) && i > 0)
            {
                result.Append('_');
            }
            result.Append(char.ToLowerInvariant(c));
        }
        return result.ToString();
    }
}
