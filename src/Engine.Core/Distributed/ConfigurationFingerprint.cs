using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Engine.Core.Distributed;

/// <summary>
/// Settings every rank must share, each as a 64-bit hash. <see cref="Agree"/> gathers every rank's
/// hashes and, where one differs from rank 0's, throws the same <see cref="DistributedMismatchException"/>
/// on every rank naming the first such rank and setting: ranks started with different models,
/// seeds or data would otherwise average unrelated gradients without a word.
/// </summary>
internal sealed class ConfigurationFingerprint
{
    private readonly List<(string Setting, ulong Hash)> _settings = [];

    public void Add(string setting, string value) => Add(setting, Encoding.UTF8.GetBytes(value));

    public void Add(string setting, ReadOnlySpan<byte> value)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(value, digest);
        _settings.Add((setting, MemoryMarshal.Read<ulong>(digest)));
    }

    /// <summary>The model's parameter values (initialisation, loaded weights or resumed state).</summary>
    public void AddParameters(string setting, Network network)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (Parameter p in network.Parameters)
        {
            var values = new float[p.Value.ElementCount];
            p.Value.Backend.CopyToHost<float>(p.Value, values);
            hash.AppendData(Encoding.UTF8.GetBytes(p.Name));
            hash.AppendData(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        _settings.Add((setting, MemoryMarshal.Read<ulong>(hash.GetHashAndReset())));
    }

    /// <summary>A data set's size, sample shape, classes and every label.</summary>
    public void AddData(string setting, ImageDataset? data)
    {
        if (data is null)
        {
            Add(setting, "none");
            return;
        }
        var labels = new int[data.Count + 1];
        for (int i = 0; i < data.Count; i++)
        {
            labels[i] = data.GetLabel(i);
        }
        labels[^1] = data.Count;
        string description = string.Create(CultureInfo.InvariantCulture, $"{data.Count} {data.SampleShape} {string.Join('|', data.ClassNames)}");
        Add(setting, [.. Encoding.UTF8.GetBytes(description), .. MemoryMarshal.AsBytes(labels.AsSpan())]);
    }

    /// <summary>Compares every rank's hashes with rank 0's; a mismatch throws on every rank alike.</summary>
    public void Agree(ICommunicator communicator)
    {
        ulong[] mine = _settings.Select(s => s.Hash).ToArray();
        ulong[] all = communicator.Gather(mine);
        for (int rank = 1; rank < communicator.Size; rank++)
        {
            for (int k = 0; k < mine.Length; k++)
            {
                if (all[(rank * mine.Length) + k] != all[k])
                {
                    throw new DistributedMismatchException(string.Create(CultureInfo.InvariantCulture,
                        $"rank {rank} of {communicator.Size} has another {_settings[k].Setting} than rank 0 (their configuration hashes differ); start every rank with the same command, data and files"));
                }
            }
        }
    }
}
