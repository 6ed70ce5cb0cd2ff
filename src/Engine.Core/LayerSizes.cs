using System.Text.Json.Nodes;

namespace Engine.Core;

/// <summary>
/// Shape inference and parameter allocation of one layer while a network is built, with sizes an
/// argument made absurd reported as that layer's error (its name, kind and arguments, and what was
/// asked) instead of an overflow in the layer's arithmetic or a refusal from the backend's allocator.
/// </summary>
internal static class LayerSizes
{
    public static Shape InferOutput(ILayer layer, Shape[] inputs, string owner, LayerSpec spec)
    {
        Shape output;
        try
        {
            output = layer is IMergeLayer merge ? merge.InferOutputShape(inputs) : layer.InferOutputShape(inputs[0]);
        }
        catch (OverflowException)
        {
            throw new ConfigurationException($"{owner}{Arguments(spec)}: its output for input {string.Join(", ", inputs.Select(s => s.ToString()))} is too large to count");
        }
        SizeLimits.CheckSample($"{owner}{Arguments(spec)}", "output", output);
        return output;
    }

    public static void Initialize(ILayer layer, LayerContext context, string owner, LayerSpec spec)
    {
        try
        {
            layer.Initialize(context);
        }
        catch (ArgumentException e) when (e.TargetSite is { Name: nameof(IBackend.Allocate) } site && site.DeclaringType == typeof(BackendContract))
        {
            string message = e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal).Replace("Allocate: ", "", StringComparison.Ordinal);
            throw new ConfigurationException($"{owner}{Arguments(spec)}: a parameter too large for the backend: {message}");
        }
        catch (InsufficientMemoryException e)
        {
            throw new ConfigurationException($"{owner}{Arguments(spec)}: a parameter too large for this machine's memory: {e.Message}");
        }
        catch (OutOfMemoryException)
        {
            throw new ConfigurationException($"{owner}{Arguments(spec)}: not enough memory for its parameters ({SizeLimits.Bytes(SizeLimits.AvailableBytes)} available)");
        }
        catch (OverflowException)
        {
            throw new ConfigurationException($"{owner}{Arguments(spec)}: its parameters are too large to count");
        }
    }

    // " with {"units": 1000000000}": the values the user wrote, which are what made the size absurd.
    private static string Arguments(LayerSpec spec) =>
        spec.Arguments is JsonObject args && args.Count > 0 ? $" with {args.ToJsonString()}" : "";
}
