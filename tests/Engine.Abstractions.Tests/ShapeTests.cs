namespace Engine.Abstractions.Tests;

public sealed class ShapeTests
{
    [Fact]
    public void CountsElementsAndFormats()
    {
        var shape = new Shape(64, 1, 28, 28);
        Assert.Equal(4, shape.Rank);
        Assert.Equal(64L * 28 * 28, shape.ElementCount);
        Assert.Equal("[64, 1, 28, 28]", shape.ToString());
        Assert.Equal(28, shape[-1]);
    }

    [Fact]
    public void BatchDimensionIsAddedAndRemoved()
    {
        var sample = new Shape(3, 32, 32);
        Shape batch = sample.WithBatch(8);
        Assert.Equal(new Shape(8, 3, 32, 32), batch);
        Assert.Equal(sample, batch.WithoutBatch());
        Assert.Equal((8, 3 * 32 * 32), batch.AsMatrix());
    }

    [Fact]
    public void EqualityIsByDimensions()
    {
        Assert.Equal(new Shape(2, 3), new Shape(2, 3));
        Assert.NotEqual(new Shape(2, 3), new Shape(3, 2));
        Assert.NotEqual(new Shape(6), new Shape(2, 3));
        Assert.Equal(new Shape(2, 3).GetHashCode(), new Shape(2, 3).GetHashCode());
    }

    [Fact]
    public void NegativeDimensionIsRefusedWithItsIndexAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => new Shape(4, -2));
        Assert.Contains("dimension 1 is -2", e.Message);
    }
}
