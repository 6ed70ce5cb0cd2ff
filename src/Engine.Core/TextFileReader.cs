using System.Globalization;
using System.Text;

namespace Engine.Core;

/// <summary>
/// Reads a small text input (a model JSON, a config file) with a size limit, so that a device such as
/// <c>/dev/zero</c>, a pipe or a mistaken multi-gigabyte file is refused with one line naming it
/// instead of being read until the process runs out of memory.
/// </summary>
public static class TextFileReader
{
    /// <summary>The largest model or config file read: 4 MiB (real ones are a few kilobytes).</summary>
    public const int MaxBytes = 4 << 20;

    /// <summary>
    /// The UTF-8 text of <paramref name="path"/>; a file over <paramref name="maxBytes"/> bytes, or one
    /// that is not a regular file (a device or pipe), gives a <see cref="DataFormatException"/>.
    /// </summary>
    public static string Read(string path, string what, int maxBytes = MaxBytes)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > maxBytes)
        {
            throw new DataFormatException(path, string.Create(CultureInfo.InvariantCulture, $"{what} is {info.Length:N0} bytes, more than the {maxBytes:N0} bytes allowed (is it the right file?)"));
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var buffer = new byte[maxBytes + 1];
        int total = 0;
        int read;
        while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += read;
        }
        // A regular file cannot yield more than its length: more means a device, a pipe or a /proc file.
        if (total > maxBytes || total > info.Length)
        {
            throw new DataFormatException(path, total > info.Length
                ? $"{what} is not a regular file (a device or a pipe?): refused"
                : string.Create(CultureInfo.InvariantCulture, $"{what} is more than the {maxBytes:N0} bytes allowed (is it the right file?)"));
        }
        return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetString(buffer, 0, total).TrimStart('\uFEFF');
    }
}
