using System.Text.Json.Nodes;

namespace Engine.Abstractions.Tests;

public sealed class ComponentArgumentsTests
{
    private static ComponentArguments Args(string json) =>
        new("layer 'dense1' (dense)", "dense1", JsonNode.Parse(json)!.AsObject());

    [Fact]
    public void ReadsTypedValuesAndDefaults()
    {
        var args = Args("""{"units": 256, "rate": 0.5, "bias": false, "mode": "same"}""");
        Assert.Equal(256, args.GetInt("units"));
        Assert.Equal(0.5, args.GetDouble("rate"));
        Assert.False(args.GetBool("bias", true));
        Assert.Equal("same", args.GetString("mode"));
        Assert.Equal(3, args.GetInt("missing", 3));
        args.ThrowIfUnused();
    }

    [Fact]
    public void ValuesBuiltInCodeReadLikeParsedOnes()
    {
        var args = new ComponentArguments("x", "x", new JsonObject { ["units"] = 10, ["lr"] = 0.25 });
        Assert.Equal(10, args.GetInt("units"));
        Assert.Equal(0.25, args.GetDouble("lr"));
    }

    [Theory]
    [InlineData("""{"units": -3}""", "argument 'units' is -3; it must be in [1,")]
    [InlineData("""{"units": 2.5}""", "argument 'units' is 2.5; expected an integer")]
    [InlineData("""{"units": "many"}""", "argument 'units' is \"many\"; expected an integer")]
    [InlineData("""{}""", "missing required argument 'units'")]
    public void BadValuesNameTheComponentTheArgumentAndTheValue(string json, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Args(json).GetInt("units", min: 1));
        Assert.StartsWith("layer 'dense1' (dense): ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MisspeltArgumentIsAnError()
    {
        var args = Args("""{"unit": 256, "units": 10}""");
        args.GetInt("units");
        var e = Assert.Throws<ConfigurationException>(args.ThrowIfUnused);
        Assert.Contains("unknown argument(s) 'unit'", e.Message);
        Assert.Contains("units", e.Message);
    }
}
