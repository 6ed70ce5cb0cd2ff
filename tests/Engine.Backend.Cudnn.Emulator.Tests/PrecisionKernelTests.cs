namespace Engine.Backend.Cudnn.Emulator.Tests;

/// <summary>
/// kernels/precision.cu (the casts of --precision bf16 / fp16) run by the emulator against a C#
/// reference: fp16 against .NET's <see cref="Half"/> conversion (IEEE, ties to even), bf16 against
/// rounding worked out in double arithmetic. Ties, subnormals, overflow, infinities and NaN.
/// </summary>
public sealed unsafe class PrecisionKernelTests
{
    private static readonly float[] Values = CaseValues();

    private static float[] CaseValues()
    {
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, 0.1f, 1f / 3, 3.14159265f, 65504f, 65519.99f, 65520f, -65520f, 1e5f, float.MaxValue, -float.MaxValue,
            float.PositiveInfinity, float.NegativeInfinity, float.Epsilon, 1e-8f, 5.9604645e-8f, 2.9802322e-8f, 2.98023259e-8f, 6.1035156e-5f,
            6.0975552e-5f, 1e-40f, 3.3895314e38f, 3.4e38f,
            BitConverter.UInt32BitsToSingle(0x3F808000), // halfway between two bf16 values, even below: stays
            BitConverter.UInt32BitsToSingle(0x3F818000), // halfway, odd below: rounds up
            BitConverter.UInt32BitsToSingle(0x3F800001 + 0x1000), // halfway between two fp16 values (1 + 2^-11 + 2^-23 above)
            1f + 1f / 2048, 1f + 3f / 2048, // fp16 ties: to even (down), to even (up)
        };
        for (int i = 0; i < 2000; i++)
        {
            // Random bit patterns over every exponent (NaNs left out here, checked apart).
            float f = BitConverter.UInt32BitsToSingle((uint)CounterRandom.Hash(7, (ulong)i));
            if (!float.IsNaN(f))
            {
                values.Add(f);
            }
        }
        return [.. values];
    }

    private static ushort[] Cast(string kernel, float[] values)
    {
        nint function = EmulatorLaunchTests.KernelOf("precision", kernel);
        nint x = EmulatorLaunchTests.Upload(values);
        nint y;
        Assert.Equal(0, EmulatorLaunchTests.Malloc(&y, (nuint)(values.Length * 2)));
        var (status, error) = EmulatorLaunchTests.Run(function, 4, 64, (ulong)values.Length, (ulong)x, (ulong)y);
        Assert.True(status == 0, error);
        var result = new ushort[values.Length];
        fixed (ushort* r = result)
        {
            Assert.Equal(0, EmulatorLaunchTests.ToHost(r, y, (nuint)(values.Length * 2)));
        }
        return result;
    }

    private static float[] Widen(string kernel, ushort[] halves)
    {
        nint function = EmulatorLaunchTests.KernelOf("precision", kernel);
        var asFloats = new float[(halves.Length + 1) / 2];
        Buffer.BlockCopy(halves, 0, asFloats, 0, halves.Length * 2);
        nint x = EmulatorLaunchTests.Upload(asFloats);
        nint y = EmulatorLaunchTests.Upload(new float[halves.Length]);
        var (status, error) = EmulatorLaunchTests.Run(function, 4, 64, (ulong)halves.Length, (ulong)x, (ulong)y);
        Assert.True(status == 0, error);
        return EmulatorLaunchTests.Download(y, halves.Length);
    }

    /// <summary>bfloat16 by arithmetic: the float's 8 significant bits, ties to even, as a double; then the top 16 bits of the float.</summary>
    private static ushort ReferenceBf16(float f)
    {
        if (float.IsInfinity(f) || f == 0)
        {
            return (ushort)(BitConverter.SingleToUInt32Bits(f) >> 16);
        }
        double v = f;
        int exponent = Math.Max(Math.ILogB(v), -126); // below 2^-126 bf16 has float's subnormal grid
        double unit = Math.ScaleB(1.0, exponent - 7);
        double rounded = Math.Round(v / unit, MidpointRounding.ToEven) * unit;
        float r = Math.Abs(rounded) > float.MaxValue ? (rounded > 0 ? float.PositiveInfinity : float.NegativeInfinity) : (float)rounded;
        uint bits = BitConverter.SingleToUInt32Bits(r);
        Assert.Equal(0u, bits & 0xFFFF); // exact in bf16
        return (ushort)(bits >> 16);
    }

    [Fact]
    public void ToFp16RoundsAsDotNetsHalf()
    {
        ushort[] got = Cast("to_fp16", Values);
        for (int i = 0; i < Values.Length; i++)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)Values[i]);
            Assert.True(expected == got[i], $"{Values[i]:R} (0x{BitConverter.SingleToUInt32Bits(Values[i]):X8}): expected 0x{expected:X4}, got 0x{got[i]:X4}");
        }
    }

    [Fact]
    public void ToBf16RoundsToNearestEven()
    {
        ushort[] got = Cast("to_bf16", Values);
        for (int i = 0; i < Values.Length; i++)
        {
            ushort expected = ReferenceBf16(Values[i]);
            Assert.True(expected == got[i], $"{Values[i]:R} (0x{BitConverter.SingleToUInt32Bits(Values[i]):X8}): expected 0x{expected:X4}, got 0x{got[i]:X4}");
        }
        Assert.Equal((ushort)0x3F80, got[Array.IndexOf(Values, BitConverter.UInt32BitsToSingle(0x3F808000))]);
        Assert.Equal((ushort)0x3F82, got[Array.IndexOf(Values, BitConverter.UInt32BitsToSingle(0x3F818000))]);
    }

    [Fact]
    public void WideningIsExactAndNaNStaysNaN()
    {
        float[] withNaN = [.. Values, float.NaN, BitConverter.UInt32BitsToSingle(0xFF800001)];
        ushort[] fp16 = Cast("to_fp16", withNaN);
        float[] backFromFp16 = Widen("from_fp16", fp16);
        ushort[] bf16 = Cast("to_bf16", withNaN);
        float[] backFromBf16 = Widen("from_bf16", bf16);
        for (int i = 0; i < withNaN.Length; i++)
        {
            Assert.Equal((float)BitConverter.UInt16BitsToHalf(fp16[i]), backFromFp16[i]);
            Assert.Equal(BitConverter.UInt32BitsToSingle((uint)bf16[i] << 16), backFromBf16[i]);
        }
        Assert.True(float.IsNaN(backFromFp16[^1]) && float.IsNaN(backFromFp16[^2]));
        Assert.True(float.IsNaN(backFromBf16[^1]) && float.IsNaN(backFromBf16[^2]));
    }
}
