namespace Engine.Models.Classic;

/// <summary>What the architectures here share: the ImageNet input and argument checks.</summary>
internal static class Blocks
{
    /// <summary>The input of the ImageNet models: 3×224×224.</summary>
    public static Shape ImageNetInput => new(3, 224, 224);

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
