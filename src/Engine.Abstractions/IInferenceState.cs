namespace Engine;

/// <summary>
/// A stateful layer (<see cref="IStatefulComponent"/>) that names the device tensors holding all the state
/// its inference forward pass reads besides its parameters, so that the state can be copied device to
/// device (and the copy skipped while their <see cref="TensorStorage.Version"/>s are unchanged) instead of
/// through the host by <see cref="IStatefulComponent.SaveState"/> and <see cref="IStatefulComponent.LoadState"/>.
/// The inference batch split uses it to give each thread's copy of the network the network's state.
/// </summary>
/// <remarks>
/// State that only training reads (dropout's seed and step counter) is not listed: a copy that runs only
/// inference never needs it. A layer without this interface has its whole state copied through the host.
/// </remarks>
public interface IInferenceState
{
    /// <summary>
    /// The tensors of the state inference reads (batch normalisation: the running mean and variance), in
    /// a fixed order: another instance of the layer built from the same spec lists tensors of the same
    /// shapes in the same order. Empty when inference reads no state (dropout). Valid once the layer is initialised.
    /// </summary>
    IReadOnlyList<Tensor> InferenceStateTensors { get; }
}
