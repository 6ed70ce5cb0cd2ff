using System.Text.Json;
using System.Text.Json.Nodes;

namespace Engine.Datasets.ImageFolder;

/// <summary>
/// The optional <c>dataset.json</c> at the root of an image folder:
/// <c>{"size": [H, W], "channels": 1 | 3}</c>. With <c>size</c>, every image is resized (bilinear) to
/// H×W; with <c>channels</c>, converted to grey or RGB. Either may be left out.
/// </summary>
/// <param name="Height">Target height, or null to keep the images' own size.</param>
/// <param name="Width">Target width, or null.</param>
/// <param name="Channels">Target channel count (1 or 3), or null to take the first image's.</param>
public sealed record ImageFolderOptions(int? Height, int? Width, int? Channels)
{
    /// <summary>The file name looked for at the root.</summary>
    public const string FileName = "dataset.json";

    /// <summary>No file: sizes and channels come from the first image.</summary>
    public static ImageFolderOptions None { get; } = new(null, null, null);

    /// <summary>Reads <paramref name="path"/>, or returns <see cref="None"/> when it does not exist.</summary>
    /// <exception cref="DataFormatException">Malformed JSON, an unknown key, or a value out of range; the message names it.</exception>
    public static ImageFolderOptions Read(string path)
    {
        if (!File.Exists(path))
        {
            return None;
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new DataFormatException(path, $"malformed JSON: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException(path, $"cannot be read: {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
        if (root is not JsonObject obj)
        {
            throw new DataFormatException(path, "expected a JSON object such as {\"size\": [32, 32], \"channels\": 3}");
        }
        int? height = null, width = null, channels = null;
        foreach (var (key, value) in obj)
        {
            switch (key)
            {
                case "size":
                    if (value is not JsonArray { Count: 2 } size || !TryPositive(size[0], out int h) || !TryPositive(size[1], out int w) || (long)h * w > 1 << 24)
                    {
                        throw new DataFormatException(path, $"\"size\" must be [height, width] with positive whole numbers (at most 2^24 pixels), got {value?.ToJsonString() ?? "null"}");
                    }
                    (height, width) = (h, w);
                    break;
                case "channels":
                    if (!TryPositive(value, out int c) || c is not (1 or 3))
                    {
                        throw new DataFormatException(path, $"\"channels\" must be 1 (grey) or 3 (RGB), got {value?.ToJsonString() ?? "null"}");
                    }
                    channels = c;
                    break;
                default:
                    throw new DataFormatException(path, $"unknown key \"{key}\"; known: size, channels");
            }
        }
        return new ImageFolderOptions(height, width, channels);
    }

    private static bool TryPositive(JsonNode? node, out int value)
    {
        value = 0;
        return node is JsonValue v && v.TryGetValue(out value) && value > 0;
    }
}
