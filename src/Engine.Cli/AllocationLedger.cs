using System.Diagnostics;
using System.Reflection;
using Engine.Core;

namespace Engine.Cli;

/// <summary>
/// A backend decorator for <c>engine bench train --memory</c>: it records every tensor allocated
/// through it with the place that asked for it (the first method on the call stack outside the
/// tensor-buffer and decorator plumbing, e.g. <c>ConvolutionLayer.Backward</c>), so that the bytes a
/// training run holds can be split into parameters, gradients, optimiser state, activations, input
/// gradients and the rest. Walking the stack makes an allocation slow, which only matters while
/// buffers grow (warm-up): a steady-state step allocates nothing.
/// </summary>
internal sealed class AllocationLedger(IBackend inner) : BackendDecorator(inner, ownsInner: false)
{
    private readonly List<(TensorStorage Storage, string Site)> _allocations = [];

    /// <inheritdoc/>
    public override Tensor Allocate(Shape shape, DataType dataType = DataType.Float32)
    {
        Tensor tensor = base.Allocate(shape, dataType);
        _allocations.Add((tensor.Storage, Site()));
        return tensor;
    }

    /// <summary>Bytes still allocated (not freed) per allocation site, largest first.</summary>
    public IReadOnlyList<(string Site, long Bytes, int Tensors)> Live() =>
        _allocations.Where(a => !a.Storage.IsDisposed)
            .GroupBy(a => a.Site, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Sum(a => a.Storage.ByteLength), g.Count()))
            .OrderByDescending(g => g.Item2)
            .ToList();

    // The first frame that is not this decorator, a TensorBuffer or a backend's Allocate: who wanted the memory.
    private static string Site()
    {
        var trace = new StackTrace(2, fNeedFileInfo: false);
        foreach (StackFrame frame in trace.GetFrames())
        {
            MethodBase? method = frame.GetMethod();
            Type? type = method?.DeclaringType;
            if (method is null || type is null || type == typeof(TensorBuffer) || typeof(IBackend).IsAssignableFrom(type))
            {
                continue;
            }
            // Compiler-generated types (lambdas, local functions) are named after the method that holds them.
            string owner = type.DeclaringType is { } outer && type.Name.Contains('<', StringComparison.Ordinal) ? outer.Name : type.Name;
            return $"{owner}.{method.Name}";
        }
        return "(unknown)";
    }
}
