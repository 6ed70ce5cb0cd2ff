namespace Engine.Backend.OpenBlas;

/// <summary>Spans over the native blocks of <see cref="CpuStorage"/>, by address.</summary>
internal static unsafe class NativeSpan
{
    /// <summary>The first <paramref name="count"/> elements at <paramref name="address"/> as a span.</summary>
    public static Span<T> Of<T>(nint address, long count) where T : unmanaged =>
        new((void*)address, checked((int)count));
}
