using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// A checkpoint file: named arrays (a <see cref="StateDictionary"/>) and JSON metadata.
/// <para>Layout, all integers little-endian:</para>
/// <code>
/// offset 0   8 bytes   magic "ENGCKPT\0"
/// offset 8   uint32    format version (1)
/// offset 12  uint32    header length H in bytes
/// offset 16  H bytes   UTF-8 JSON header
/// 16 + H     ...       data: each entry's elements, row-major, little-endian, at the header's offsets
/// </code>
/// <para>The header is <c>{"metadata": {...}, "data_length": D, "entries": [{"name": "params/dense1.weight",
/// "dtype": "float32" | "float64" | "int64", "shape": [256, 784], "offset": 0, "length": 802816}, ...]}</c>;
/// offset and length are in bytes and relative to the start of the data (16 + H), and the file is
/// exactly 16 + H + D bytes. Python reads it with the standard library alone:</para>
/// <code>
/// import json, struct
/// b = open(path, "rb").read()
/// assert b[:8] == b"ENGCKPT\0"
/// version, h = struct.unpack_from("&lt;II", b, 8)
/// header = json.loads(b[16:16 + h]); base = 16 + h
/// for e in header["entries"]:
///     n = e["length"] // {"float32": 4, "float64": 8, "int64": 8}[e["dtype"]]
///     values = struct.unpack_from("&lt;%d%s" % (n, {"float32": "f", "float64": "d", "int64": "q"}[e["dtype"]]), b, base + e["offset"])
/// </code>
/// <para>Entry names used by the trainer: <c>params/&lt;parameter&gt;</c>, <c>layers/&lt;layer&gt;/&lt;state&gt;</c>,
/// <c>optimizer/&lt;state&gt;</c>, <c>trainer/…</c> (global step, completed epoch, seed) and
/// <c>early_stopping/…</c>; the metric history is in the metadata.</para>
/// <para>Writing is atomic: the file is written to a new temporary file next to it (created
/// exclusively, never through a link), flushed to disk, moved over <c>path</c>, and the folder is
/// synced, so a failure part-way leaves the previous checkpoint as it was (and no temporary file).
/// An existing file that is not a checkpoint is not replaced unless asked.</para>
/// </summary>
public sealed partial class Checkpoint
{
    /// <summary>The format version this code writes and reads.</summary>
    public const uint FormatVersion = 1;

    private const int PrefixLength = 16;
    private static ReadOnlySpan<byte> Magic => "ENGCKPT\0"u8;

    /// <summary>Wraps <paramref name="state"/> and <paramref name="metadata"/>.</summary>
    public Checkpoint(StateDictionary state, JsonObject? metadata = null)
    {
        State = state ?? throw new ArgumentNullException(nameof(state));
        Metadata = metadata ?? [];
    }

    /// <summary>The arrays.</summary>
    public StateDictionary State { get; }

    /// <summary>Model name and spec, data set, options, metric history, …</summary>
    public JsonObject Metadata { get; }

    /// <summary>Where this checkpoint was read from (null when built in memory).</summary>
    public string? Path { get; private init; }

    /// <summary>
    /// Writes the file atomically (see the type's remarks); an error names the file. An existing file
    /// that is not an engine checkpoint is refused (an <see cref="EngineException"/>) unless
    /// <paramref name="replaceForeignFile"/>: a mistyped path must not destroy someone's data.
    /// </summary>
    public void Write(string path, bool replaceForeignFile = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = System.IO.Path.GetFullPath(path);
        string folder = System.IO.Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        if (!replaceForeignFile && ForeignFile(full) is string what)
        {
            throw new EngineException($"checkpoint {full}: {what}; refusing to overwrite it (--force replaces it)");
        }
        // A fresh name created exclusively (O_EXCL): a file or symbolic link planted at a predictable
        // name is never followed or truncated, and two writers never share a temporary file.
        string temporary = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
            DurableFolder.Sync(folder); // the rename itself survives a power cut only once the folder is synced
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            TryDelete(temporary);
            throw new EngineException($"writing checkpoint {full} failed (the previous file, if any, is unchanged): {e.Message}", e);
        }
    }

    /// <summary>Why the existing file at <paramref name="path"/> is not an engine checkpoint; null when it is one or there is none.</summary>
    public static string? ForeignFile(string path)
    {
        if (Directory.Exists(path))
        {
            return "it is a folder";
        }
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            Span<byte> head = stackalloc byte[8];
            int read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return read == head.Length && head.SequenceEqual(Magic) ? null
                : $"the existing file is not an engine checkpoint ({stream.Length:N0} bytes, starting with {Convert.ToHexString(head[..read])})";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"the existing file cannot be read to check that it is a checkpoint ({e.Message})";
        }
    }

    /// <summary>Reads and validates <paramref name="path"/>; every problem is a <see cref="DataFormatException"/> naming the file (and the entry).</summary>
    public static Checkpoint Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new DataFormatException(path, "checkpoint file not found");
        }
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            return ReadFrom(stream, path);
        }
        catch (IOException e)
        {
            throw new DataFormatException(path, $"cannot read the checkpoint: {e.Message}", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            // A header value of the wrong JSON kind, invalid UTF-8 in a string, a number out of range
            // (found by fuzzing, fuzz/findings/checkpoint): the file is malformed, not the engine broken.
            throw new DataFormatException(path, $"malformed checkpoint header: {e.Message}", e);
        }
    }

    private void WriteTo(FileStream stream)
    {
        Span<byte> prefix = stackalloc byte[PrefixLength];
        Magic.CopyTo(prefix);
        BinaryPrimitives.WriteUInt32LittleEndian(prefix[8..], FormatVersion);
        stream.Write(prefix); // the header length is patched in once known

        long offset = 0;
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WritePropertyName("metadata");
            Metadata.WriteTo(json);
            long total = State.Names.Sum(n => ByteLength(State[n]));
            json.WriteNumber("data_length", total);
            json.WriteStartArray("entries");
            foreach (string name in State.Names)
            {
                StateEntry entry = State[name];
                long length = ByteLength(entry);
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("dtype", DTypeName(entry.Values));
                json.WriteStartArray("shape");
                foreach (int d in entry.Shape.AsSpan())
                {
                    json.WriteNumberValue(d);
                }
                json.WriteEndArray();
                json.WriteNumber("offset", offset);
                json.WriteNumber("length", length);
                json.WriteEndObject();
                offset += length;
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        long headerLength = stream.Position - PrefixLength;
        foreach (string name in State.Names)
        {
            WriteValues(stream, State[name].Values);
        }
        stream.Position = 12;
        Span<byte> length32 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length32, checked((uint)headerLength));
        stream.Write(length32);
        stream.Position = stream.Length;
    }

    private static Checkpoint ReadFrom(FileStream stream, string path)
    {
        long fileLength = stream.Length;
        Span<byte> prefix = stackalloc byte[PrefixLength];
        if (fileLength < PrefixLength)
        {
            throw new DataFormatException(path, $"truncated: {fileLength} bytes is shorter than the {PrefixLength}-byte checkpoint prefix");
        }
        stream.ReadExactly(prefix);
        if (!prefix[..8].SequenceEqual(Magic))
        {
            throw new DataFormatException(path, $"not an engine checkpoint: the file starts with {Convert.ToHexString(prefix[..8])}, not ENGCKPT\\0");
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (version != FormatVersion)
        {
            throw new DataFormatException(path, $"checkpoint format version {version} is not supported (this engine reads version {FormatVersion})");
        }
        uint headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[12..]);
        if (PrefixLength + (long)headerLength > fileLength)
        {
            throw new DataFormatException(path, $"truncated: the header claims {headerLength} bytes but only {fileLength - PrefixLength} follow the prefix");
        }
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        JsonObject header;
        try
        {
            header = JsonNode.Parse(headerBytes) as JsonObject ?? throw new JsonException("the header is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"the checkpoint header is not valid JSON: {e.Message}", e);
        }
        long dataStart = PrefixLength + headerLength;
        long dataLength = Required<long>(header, "data_length", path, "header");
        if (dataStart + dataLength != fileLength)
        {
            throw new DataFormatException(path, dataStart + dataLength > fileLength
                ? $"truncated: {dataStart + dataLength} bytes expected, {fileLength} found"
                : $"{fileLength - dataStart - dataLength} unexpected bytes after the data ({dataStart + dataLength} expected, {fileLength} found)");
        }
        JsonArray entries = header["entries"] as JsonArray ?? throw new DataFormatException(path, "the header has no \"entries\" array");
        var state = new StateDictionary();
        foreach (JsonNode? node in entries)
        {
            string name = node?["name"]?.GetValue<string>() ?? throw new DataFormatException(path, "an entry of the header has no name");
            string where = $"entry '{name}'";
            string dtype = Required<string>(node, "dtype", path, where);
            int[] dims = (node["shape"] as JsonArray ?? throw new DataFormatException(path, $"{where} has no shape"))
                .Select(d => d?.GetValue<int>() ?? -1).ToArray();
            if (dims.Any(d => d < 0))
            {
                throw new DataFormatException(path, $"{where} has a negative or missing dimension in its shape");
            }
            var shape = new Shape(dims);
            long offset = Required<long>(node, "offset", path, where);
            long length = Required<long>(node, "length", path, where);
            int size = dtype switch
            {
                "float32" => 4,
                "float64" or "int64" => 8,
                _ => throw new DataFormatException(path, $"{where} has dtype '{dtype}'; expected float32, float64 or int64"),
            };
            if (length != shape.ElementCount * size)
            {
                throw new DataFormatException(path, $"{where}: shape {shape} of {dtype} needs {shape.ElementCount * size} bytes but the entry holds {length}");
            }
            if (offset < 0 || length < 0 || offset > dataLength - length) // no overflow of offset + length
            {
                throw new DataFormatException(path, $"{where}: bytes {offset}..{offset + length} lie outside the {dataLength}-byte data section");
            }
            if (state.Contains(name))
            {
                throw new DataFormatException(path, $"{where} appears twice");
            }
            stream.Position = dataStart + offset;
            Array values = dtype switch
            {
                "float32" => ReadValues<float>(stream, (int)shape.ElementCount),
                "float64" => ReadValues<double>(stream, (int)shape.ElementCount),
                _ => ReadValues<long>(stream, (int)shape.ElementCount),
            };
            state.Set(name, new StateEntry(shape, values));
        }
        var metadata = header["metadata"] as JsonObject ?? [];
        header.Remove("metadata"); // detach so it can be used on its own
        return new Checkpoint(state, metadata) { Path = path };
    }

    private static T Required<T>(JsonNode node, string property, string path, string where)
    {
        try
        {
            JsonNode value = node[property] ?? throw new InvalidOperationException("missing");
            return value.GetValue<T>();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new DataFormatException(path, $"{where}: \"{property}\" is missing or not a {typeof(T).Name}", e);
        }
    }

    private static long ByteLength(StateEntry entry) => entry.Values.LongLength * (entry.Values switch { float[] => 4, _ => 8 });

    private static string DTypeName(Array values) => values switch
    {
        float[] => "float32",
        double[] => "float64",
        _ => "int64",
    };

    private static void WriteValues(Stream stream, Array values)
    {
        switch (values)
        {
            case float[] f: WriteLittleEndian<float>(stream, f); break;
            case double[] d: WriteLittleEndian<double>(stream, d); break;
            case long[] l: WriteLittleEndian<long>(stream, l); break;
        }
    }

    private static void WriteLittleEndian<T>(Stream stream, T[] values) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only");
        }
        stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static T[] ReadValues<T>(Stream stream, int count) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("checkpoints are read on little-endian machines only");
        }
        var values = new T[count];
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (IOException)
        {
            // best effort: the error being reported matters more
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>A short description for error messages.</summary>
    public override string ToString() => $"checkpoint {Path ?? "(in memory)"} with {State.Count} entries";
}
