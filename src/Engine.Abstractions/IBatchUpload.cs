namespace Engine;

/// <summary>
/// Implemented by a backend that uploads input batches asynchronously (the cuDNN backend: from
/// pinned host memory on a copy stream), so that the copy of batch t+1 overlaps the work of step t.
/// Optional: the trainer's batch staging (two alternating sets of tensors) uses it when the
/// backend has it, and <see cref="IBackend.CopyFromHost{T}"/> otherwise.
/// </summary>
/// <remarks>
/// The caller alternates slot 0 and 1 and queues all the work reading a batch's tensors before it
/// uploads the next batch: the backend then orders each copy after the work that read the slot's
/// previous batch (and no later work, so the copy of batch t+1 overlaps step t), and the work queued
/// after an upload after its copy, with no host wait in between.
/// </remarks>
public interface IBatchUpload
{
    /// <summary>
    /// Queues the copy of one batch into the tensors of staging set <paramref name="slot"/> (0 or 1);
    /// returns once the spans may be reused. The tensors must be this backend's, as large as the spans.
    /// </summary>
    void UploadBatch(int slot, ReadOnlySpan<float> inputs, Tensor inputTensor, ReadOnlySpan<int> labels, Tensor labelTensor);
}
