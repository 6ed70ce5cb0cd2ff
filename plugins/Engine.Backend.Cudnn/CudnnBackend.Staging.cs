namespace Engine.Backend.Cudnn;

/// <summary>
/// Asynchronous batch uploads (<see cref="IBatchUpload"/>) and step timing (<see cref="IStepTiming"/>).
/// Each of the two slots has a pinned host buffer (cudaHostAlloc, grown on demand): a batch is
/// copied there, then queued on the shim's copy stream, and the compute stream waits for the copy
/// before its next work. Uploading batch t+1 (one slot) marks on the compute stream the release of
/// the other slot, whose batch t the work queued since has read; batch t+2's copy into that slot
/// waits for that mark only, so it overlaps step t+1. The host waits only for a slot's previous copy
/// to have read its pinned buffer before refilling it, two batches later.
/// </summary>
public sealed partial class CudnnBackend : IBatchUpload, IStepTiming
{
    private readonly PinnedSlot[] _slots = [new(), new()];

    /// <summary>Batches uploaded through the pinned staging (for tests and the bench).</summary>
    internal long StagedUploads { get; private set; }

    /// <inheritdoc/>
    public unsafe void UploadBatch(int slot, ReadOnlySpan<float> inputs, Tensor inputTensor, ReadOnlySpan<int> labels, Tensor labelTensor)
    {
        ThrowIfDisposed();
        if (slot is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(slot), slot, "the staging slot is 0 or 1");
        }
        BackendContract.CopyFromHost(this, inputs, inputTensor);
        BackendContract.CopyFromHost(this, labels, labelTensor);
        PinnedSlot s = _slots[slot], other = _slots[1 - slot];
        long inputBytes = (long)inputs.Length * sizeof(float);
        long labelOffset = (inputBytes + 255) & ~255L;
        long bytes = labelOffset + (long)labels.Length * sizeof(int);
        // The step reading the other slot's batch is queued by now: its end frees that slot.
        if (other.Pending)
        {
            ShimLibrary.Check(ShimNative.ecud_upload_release(1 - slot), "releasing a staging slot");
            other.Pending = false;
        }
        // A caller uploading into the same slot twice in a row: the work reading it is queued by now too.
        if (s.Pending)
        {
            ShimLibrary.Check(ShimNative.ecud_upload_release(slot), "releasing a staging slot");
            s.Pending = false;
        }
        if (s.Used)
        {
            ShimLibrary.Check(ShimNative.ecud_upload_sync(slot), "waiting for a staging slot's previous copy");
        }
        s.Reserve(bytes);
        inputs.CopyTo(new Span<float>((void*)s.Pointer, inputs.Length));
        labels.CopyTo(new Span<int>((void*)(s.Pointer + (nint)labelOffset), labels.Length));
        ShimLibrary.Check(ShimNative.ecud_upload(slot, Ptr(inputTensor).Address, s.Pointer, (nuint)inputBytes), "uploading a batch");
        ShimLibrary.Check(ShimNative.ecud_upload(slot, Ptr(labelTensor).Address, s.Pointer + (nint)labelOffset, (nuint)(labels.Length * sizeof(int))),
            "uploading a batch's labels");
        ShimLibrary.Check(ShimNative.ecud_upload_wait(slot), "ordering the step after its batch's upload");
        s.Used = s.Pending = true;
        StagedUploads++;
    }

    /// <inheritdoc/>
    public void BeginStep()
    {
        ThrowIfDisposed();
        ShimLibrary.Check(ShimNative.ecud_step_begin(), "marking a step's start");
    }

    /// <inheritdoc/>
    public void EndStep()
    {
        ThrowIfDisposed();
        ShimLibrary.Check(ShimNative.ecud_step_end(), "marking a step's end");
    }

    /// <inheritdoc/>
    public unsafe IReadOnlyList<StepTime> ReadStepTimes()
    {
        ThrowIfDisposed();
        const int Capacity = 4096; // ECUD_STEP_MARKS
        float[] busy = new float[Capacity], idle = new float[Capacity];
        int count = 0;
        fixed (float* b = busy, i = idle)
        {
            ShimLibrary.Check(ShimNative.ecud_step_times(b, i, Capacity, &count), "reading the step times");
        }
        var times = new StepTime[count];
        for (int k = 0; k < count; k++)
        {
            times[k] = new StepTime(busy[k], idle[k]);
        }
        return times;
    }

    /// <summary>After the stream drained: hands the slots back to the shim (for the next backend) and frees the pinned buffers.</summary>
    private void ReleaseStaging()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Pending)
            {
                _ = ShimNative.ecud_upload_release(i);
                _slots[i].Pending = false;
            }
            _slots[i].Dispose();
        }
    }

    /// <summary>One slot's pinned host buffer, grown (never shrunk) to the largest batch.</summary>
    private sealed class PinnedSlot : IDisposable
    {
        public nint Pointer { get; private set; }

        public long Capacity { get; private set; }

        /// <summary>Uploaded into at least once (its pinned buffer may be read by the last copy).</summary>
        public bool Used { get; set; }

        /// <summary>Uploaded into and not yet released: queued work may still read its tensors.</summary>
        public bool Pending { get; set; }

        public unsafe void Reserve(long bytes)
        {
            if (bytes <= Capacity)
            {
                return;
            }
            Dispose();
            nint pointer;
            ShimLibrary.Check(ShimNative.ecud_host_alloc(&pointer, (nuint)bytes), $"allocating {bytes} bytes of pinned host memory");
            Pointer = pointer;
            Capacity = bytes;
        }

        public void Dispose()
        {
            if (Pointer != 0)
            {
                // The slot's last copy has read it (every upload into a used slot syncs first; Dispose follows a synchronise).
                _ = ShimNative.ecud_host_free(Pointer);
            }
            Pointer = 0;
            Capacity = 0;
        }
    }
}
