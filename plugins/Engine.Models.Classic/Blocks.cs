namespace Engine.Models.Classic;

/// <summary>What the architectures here share: the ImageNet input and a way to repeat a block.</summary>
internal static class Blocks
{
    /// <summary>The input of the ImageNet models: 3×224×224.</summary>
    public static Shape ImageNetInput => new(3, 224, 224);

    /// <summary>
    /// Emits <paramref name="block"/> <paramref name="count"/> times, passing the repetition's index
    /// (0-based) and the name of the layer the previous repetition ended with (first:
    /// <paramref name="input"/>); returns the name the last repetition ended with. A ResNet stage is
    /// one call, so ResNet-152's 50 bottlenecks are a loop, not a list.
    /// </summary>
    public static string Repeat(int count, string input, Func<int, string, string> block)
    {
        string last = input;
        for (int i = 0; i < count; i++)
        {
            last = block(i, last);
        }
        return last;
    }

    /// <summary>Checks a model's number of classes; a user can pass any number.</summary>
    public static int Classes(string model, int classes) =>
        classes >= 1 ? classes : throw new ConfigurationException($"model '{model}': the number of classes must be >= 1, got {classes}");

    /// <summary>Checks that a default input is C×H×W with the channels the first layer expects.</summary>
    public static Shape Input(string model, Shape input, int channels)
    {
        if (input.Rank != 3 || input[0] != channels || input.ElementCount == 0)
        {
            throw new ConfigurationException($"model '{model}': the input must be {channels}×H×W, got {input}");
        }
        return input;
    }
}
