namespace Engine.Datasets.Cifar.Tests;

/// <summary>Builds CIFAR record files: each record's label byte(s), then 3072 pixels whose value
/// encodes (record, position) so a misplaced byte is caught.</summary>
internal static class CifarTestFiles
{
    public static byte[] Records(params byte[][] labels)
    {
        int recordSize = labels[0].Length + 3072;
        var bytes = new byte[labels.Length * recordSize];
        for (int r = 0; r < labels.Length; r++)
        {
            labels[r].CopyTo(bytes, r * recordSize);
            for (int p = 0; p < 3072; p++)
            {
                bytes[r * recordSize + labels[r].Length + p] = Pixel(r, p);
            }
        }
        return bytes;
    }

    public static byte Pixel(int record, int position) => (byte)(record * 7 + position * 13);
}
