using System.Diagnostics;

namespace Engine.Core;

/// <summary>Settings of a training run.</summary>
/// <param name="Epochs">Passes over the training set.</param>
/// <param name="BatchSize">Examples per step; the last batch of an epoch may be smaller.</param>
/// <param name="Seed">Seed of the shuffling order (the model has its own).</param>
/// <param name="EvaluationBatchSize">Batch size for evaluation.</param>
/// <param name="Regularizer">
/// Weight penalties (none when null): added to the reported loss, and their gradients to the
/// parameters' gradients after backward, before the optimiser step. The caller owns and disposes it.
/// </param>
public sealed record TrainingOptions(int Epochs = 1, int BatchSize = 64, ulong Seed = 1, int EvaluationBatchSize = 256, Regularizer? Regularizer = null);

/// <summary>What one epoch measured.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's examples.</param>
/// <param name="TrainAccuracy">Top-1 accuracy on the training batches, as they were seen.</param>
/// <param name="TestAccuracy">Top-1 accuracy on the test set after the epoch (NaN without one).</param>
/// <param name="TrainTime">Time spent training (loading, forward, backward, update).</param>
/// <param name="Elapsed">Time since training started, evaluation included.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
public sealed record EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, TimeSpan TrainTime, TimeSpan Elapsed, double ImagesPerSecond);

/// <summary>
/// The mini-batch loop: shuffle → load batch → forward → loss → backward → (regularisation) →
/// update. The loss (penalties included) is
/// summed on the backend and read once an epoch; logits are copied to the host each step (N×K
/// floats) to count correct predictions.
/// </summary>
public sealed class Trainer(Network network, ILoss loss, IOptimizer optimizer, TrainingOptions options)
{
    /// <summary>Trains for <see cref="TrainingOptions.Epochs"/> epochs, calling <paramref name="onEpoch"/> after each.</summary>
    public IReadOnlyList<EpochResult> Fit(ImageDataset train, ImageDataset? test = null, Action<EpochResult>? onEpoch = null, CancellationToken cancellation = default)
    {
        if (train.SampleShape != network.InputShape)
        {
            throw new ShapeException($"model '{network.Name}' takes samples of {network.InputShape} but the training data has {train.SampleShape}");
        }
        IBackend backend = network.Backend;
        var results = new List<EpochResult>();
        var order = new int[train.Count];
        var logits = new float[options.BatchSize * train.ClassCount];
        using var loader = new BatchLoader(backend, train, options.BatchSize);
        using Tensor lossSum = backend.Allocate(new Shape(1));
        var lossHost = new float[1];
        var total = Stopwatch.StartNew();

        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            EpochOrder.Shuffle(order, options.Seed, epoch);
            backend.Fill(lossSum, 0);
            long correct = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                cancellation.ThrowIfCancellationRequested();
                int n = Math.Min(options.BatchSize, order.Length - start);
                var (inputs, targets) = loader.Load(order.AsSpan(start, n));
                Tensor output = network.Forward(inputs, training: true);
                LossOutput l = loss.Compute(output, targets);
                backend.Axpby(n, l.Value, 1, lossSum);
                network.Backward(l.Gradient);
                if (options.Regularizer is { } regularizer)
                {
                    // The penalty of the weights this step's loss was computed with, before they move.
                    regularizer.AddPenalty(network.Parameters, lossSum, n);
                    regularizer.AddGradients(network.Parameters);
                }
                optimizer.Step(network.Parameters);

                Span<float> batchLogits = logits.AsSpan(0, (int)output.ElementCount);
                backend.CopyToHost(output, batchLogits);
                correct += Metrics.CountCorrect(batchLogits, loader.Labels);
            }
            backend.CopyToHost<float>(lossSum, lossHost);
            TimeSpan trainTime = clock.Elapsed;
            double testAccuracy = test is null ? double.NaN : Evaluate(network, test, options.EvaluationBatchSize);
            var result = new EpochResult(epoch, lossHost[0] / train.Count, (double)correct / train.Count, testAccuracy,
                trainTime, total.Elapsed, train.Count / trainTime.TotalSeconds);
            results.Add(result);
            onEpoch?.Invoke(result);
        }
        return results;
    }

    /// <summary>Top-1 accuracy of <paramref name="network"/> on <paramref name="data"/> (inference mode).</summary>
    public static double Evaluate(Network network, ImageDataset data, int batchSize = 256)
    {
        using var loader = new BatchLoader(network.Backend, data, batchSize);
        var logits = new float[batchSize * data.ClassCount];
        var indices = new int[batchSize];
        long correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            int n = Math.Min(batchSize, data.Count - start);
            for (int i = 0; i < n; i++)
            {
                indices[i] = start + i;
            }
            var (inputs, _) = loader.Load(indices.AsSpan(0, n));
            Tensor output = network.Forward(inputs, training: false);
            Span<float> batchLogits = logits.AsSpan(0, (int)output.ElementCount);
            network.Backend.CopyToHost(output, batchLogits);
            correct += Metrics.CountCorrect(batchLogits, loader.Labels);
        }
        return (double)correct / data.Count;
    }
}
