namespace Engine.Core.Distributed;

/// <summary>
/// Sums the trainable parameters' gradients over the ranks once per step: through host memory over
/// MPI (<see cref="GradientReducer"/>) or on the devices (<see cref="DeviceGradientReducer"/>).
/// </summary>
internal interface IGradientReducer : IDisposable
{
    /// <summary>A step begins: this rank's gradients count with <paramref name="weight"/>, or as zero without examples.</summary>
    void Begin(double weight, bool hasExamples);

    /// <summary>Backward has finished layer <paramref name="layer"/>: start the buckets it completed.</summary>
    void LayerDone(int layer);

    /// <summary>Starts what is left; once it returns, reading a gradient gives its sum.</summary>
    void Finish();

    /// <summary>Time this rank spent waiting for sums since the last call.</summary>
    TimeSpan TakeWaitTime();

    /// <summary>The reducer for <paramref name="options"/>' communicator.</summary>
    static IGradientReducer For(Network network, DistributedOptions options) =>
        options.Communicator is DeviceCommunicator device
            ? new DeviceGradientReducer(network, options, device.Group)
            : new GradientReducer(network, options);
}
