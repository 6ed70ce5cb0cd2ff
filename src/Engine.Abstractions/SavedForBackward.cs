namespace Engine;

/// <summary>
/// What a layer's backward pass reads of its latest training forward pass, besides what it keeps
/// in its own memory (<see cref="ILayer.SavedForBackward"/>). A network keeps a layer's inputs alive
/// until its backward pass only when the layer reads them, and its output only when the layer or a
/// reader of that output does; an output nobody reads in backward lives in memory shared with other
/// such outputs, reused as soon as the layers reading it in the forward pass have run.
/// </summary>
[Flags]
public enum SavedForBackward
{
    /// <summary>Neither the inputs nor the output (an element-wise add).</summary>
    None = 0,

    /// <summary>The inputs (a convolution, batch normalisation).</summary>
    Input = 1,

    /// <summary>The output (ReLU, sigmoid, tanh).</summary>
    Output = 2,

    /// <summary>Both (the default of a layer that says nothing).</summary>
    InputAndOutput = Input | Output,
}
