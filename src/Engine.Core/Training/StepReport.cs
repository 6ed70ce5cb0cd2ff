namespace Engine.Core;

/// <summary>Progress of a training run, reported every few steps (for progress bars and logs).</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Step">1-based step within the epoch.</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="GlobalStep">Steps taken since the run began (resumed runs count the earlier ones).</param>
/// <param name="Loss">Mean training loss over the epoch's examples so far.</param>
/// <param name="Accuracy">Top-1 training accuracy over the epoch's examples so far.</param>
/// <param name="ImagesPerSecond">Training throughput over the epoch so far.</param>
/// <param name="LearningRate">The rate the latest step used.</param>
/// <param name="Elapsed">Time since the run began.</param>
/// <param name="Remaining">Estimated time to the end of the run.</param>
public readonly record struct StepReport(int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep, double Loss, double Accuracy,
    double ImagesPerSecond, double LearningRate, TimeSpan Elapsed, TimeSpan Remaining);
