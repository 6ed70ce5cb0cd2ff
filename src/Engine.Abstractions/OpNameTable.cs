namespace Engine;

/// <summary>
/// Names such as <c>Unary(Relu)</c> that error messages use, built once per enum value: formatting
/// them on every call allocated on every training step.
/// </summary>
internal sealed class OpNameTable<TEnum>(string op) where TEnum : struct, Enum
{
    private readonly Dictionary<TEnum, string> _names = Enum.GetValues<TEnum>().ToDictionary(v => v, v => $"{op}({v})");

    /// <summary>The name for <paramref name="value"/>; an undefined value is formatted on the spot.</summary>
    public string this[TEnum value] => _names.TryGetValue(value, out string? name) ? name : $"{op}({value})";
}
