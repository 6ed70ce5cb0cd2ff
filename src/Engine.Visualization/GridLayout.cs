namespace Engine.Visualization;

/// <summary>Where the tiles of a grid go: equal tiles separated (and framed) by a one-pixel gap.</summary>
internal readonly record struct GridLayout(int Rows, int Columns, int TileWidth, int TileHeight)
{
    /// <summary>The gap between tiles and around the grid, in pixels.</summary>
    public const int Gap = 1;

    /// <summary>Image width.</summary>
    public int Width => (Columns * (TileWidth + Gap)) + Gap;

    /// <summary>Image height.</summary>
    public int Height => (Rows * (TileHeight + Gap)) + Gap;

    /// <summary>The top-left pixel of the tile at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public (int X, int Y) Origin(int row, int column) => (Gap + (column * (TileWidth + Gap)), Gap + (row * (TileHeight + Gap)));

    /// <summary>A near-square grid for <paramref name="count"/> tiles (columns = ⌈√count⌉).</summary>
    public static GridLayout Square(int count, int tileWidth, int tileHeight)
    {
        int columns = Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));
        int rows = Math.Max(1, (count + columns - 1) / columns);
        return new GridLayout(rows, columns, tileWidth, tileHeight);
    }
}
