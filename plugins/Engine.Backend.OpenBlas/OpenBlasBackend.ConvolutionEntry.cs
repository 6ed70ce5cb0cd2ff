using System.Numerics;

namespace Engine.Backend.OpenBlas;

/// <summary>
/// The one checked entry of the six windowed ops (convolution and locally connected; forward,
/// backward data, backward filter). Every pass touches the same three operands: the input side
/// (x, or dx written by backward data), the filters (w, or dw written by backward filter) and the
/// output side (y written by forward, or dy); only which one is written and what they are called differ.
/// </summary>
public sealed partial class OpenBlasBackend
{
    /// <summary>Which product a windowed call computes, and so which operand it writes.</summary>
    private enum Pass
    {
        Forward,
        BackwardData,
        BackwardFilter,
    }

    private unsafe void Windowed(string op, Pass pass, bool locallyConnected, ConvolutionGeometry geometry, Tensor input, Tensor filters, Tensor output)
    {
        string inputName = pass == Pass.BackwardData ? "dx" : "x";
        string filtersName = pass == Pass.BackwardFilter ? "dw" : "w";
        string outputName = pass == Pass.Forward ? "y" : "dy";
        CpuStorage inputs = Check(op, inputName, input);
        CpuStorage filterStorage = Check(op, filtersName, filters);
        CpuStorage outputs = Check(op, outputName, output);
        SameType(op, inputName, input, filtersName, filters);
        SameType(op, inputName, input, outputName, output);
        ConvolutionLayout layout = locallyConnected
            ? LocallyConnectedShapes(op, geometry, input, inputName, filters, filtersName)
            : ConvolutionShapes(op, geometry, input, inputName, filters, filtersName);
        layout.CheckOutput(op, geometry, output, outputName, layout.Filters, filtersName);

        // The written operand must not share memory with the two it reads.
        switch (pass)
        {
            case Pass.Forward:
                NotShared(op, outputName, outputs, inputName, inputs);
                NotShared(op, outputName, outputs, filtersName, filterStorage);
                break;
            case Pass.BackwardData:
                NotShared(op, inputName, inputs, outputName, outputs);
                NotShared(op, inputName, inputs, filtersName, filterStorage);
                break;
            default:
                NotShared(op, filtersName, filterStorage, inputName, inputs);
                NotShared(op, filtersName, filterStorage, outputName, outputs);
                break;
        }

        if (input.DataType == DataType.Float32)
        {
            WindowedKernel(pass, locallyConnected, layout, (float*)inputs.Pointer, (float*)filterStorage.Pointer, (float*)outputs.Pointer);
        }
        else
        {
            WindowedKernel(pass, locallyConnected, layout, (double*)inputs.Pointer, (double*)filterStorage.Pointer, (double*)outputs.Pointer);
        }
        GC.KeepAlive(inputs);
        GC.KeepAlive(filterStorage);
        GC.KeepAlive(outputs);
    }

    private unsafe void WindowedKernel<T>(Pass pass, bool locallyConnected, in ConvolutionLayout layout, T* input, T* filters, T* output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (locallyConnected)
        {
            LocallyConnectedKernel(pass, layout, input, filters, output);
            return;
        }
        switch (pass)
        {
            case Pass.Forward:
                ConvolutionForwardKernel(layout, input, filters, output);
                break;
            case Pass.BackwardData:
                ConvolutionBackwardDataKernel(layout, output, filters, input);
                break;
            default:
                ConvolutionBackwardFilterKernel(layout, input, output, filters);
                break;
        }
    }
}
