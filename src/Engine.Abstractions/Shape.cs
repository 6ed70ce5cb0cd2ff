using System.Collections;

namespace Engine;

/// <summary>
/// An immutable tensor shape. Layouts are N×C×H×W (1-D N×C×L, 3-D N×C×D×H×W); layers reason about
/// per-sample shapes (without N) and tensors carry the full shape.
/// </summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape; every dimension must be zero or positive.</summary>
    public Shape(params ReadOnlySpan<int> dims)
    {
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
            {
                throw new ArgumentException($"shape dimension {i} is {dims[i]}; dimensions must be >= 0");
            }
        }
        _dims = dims.ToArray();
    }

    private ReadOnlySpan<int> Dims => _dims ?? [];

    /// <summary>Number of dimensions.</summary>
    public int Rank => Dims.Length;

    /// <summary>Number of dimensions (same as <see cref="Rank"/>).</summary>
    public int Count => Rank;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => Dims[axis < 0 ? Rank + axis : axis];

    /// <summary>Product of all dimensions (1 for a scalar shape).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Dims)
            {
                n = checked(n * d);
            }
            return n;
        }
    }

    /// <summary>The dimensions as a span.</summary>
    public ReadOnlySpan<int> AsSpan() => Dims;

    /// <summary>This shape with a batch dimension of <paramref name="batch"/> in front.</summary>
    public Shape WithBatch(int batch)
    {
        var dims = new int[Rank + 1];
        dims[0] = batch;
        Dims.CopyTo(dims.AsSpan(1));
        return new Shape(dims);
    }

    /// <summary>This shape without its first (batch) dimension.</summary>
    public Shape WithoutBatch() =>
        Rank == 0 ? throw new InvalidOperationException("a scalar shape has no batch dimension") : new Shape(Dims[1..]);

    /// <summary>The shape seen as a matrix: rows = first dimension, columns = product of the rest.</summary>
    public (int Rows, int Columns) AsMatrix()
    {
        if (Rank == 0)
        {
            return (1, 1);
        }
        long columns = 1;
        foreach (int d in Dims[1..])
        {
            columns *= d;
        }
        return (Dims[0], checked((int)columns));
    }

    /// <inheritdoc/>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int d in Dims)
        {
            hash.Add(d);
        }
        return hash.ToHashCode();
    }

    /// <summary>Equality of dimensions.</summary>
    public static bool operator ==(Shape left, Shape right) => left.Equals(right);

    /// <summary>Inequality of dimensions.</summary>
    public static bool operator !=(Shape left, Shape right) => !left.Equals(right);

    /// <summary>Formats as <c>[64, 1, 28, 28]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", _dims ?? []) + "]";

    /// <inheritdoc/>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
