namespace Engine.Backend.Cudnn;

/// <summary>
/// Asynchronous batch uploads (<see cref="IBatchUpload"/>) and step timing (<see cref="IStepTiming"/>).
/// Each of the two slots has a pinned host buffer (cudaHostAlloc, grown on demand): a batch is
/// copied there, then queued on the shim's copy stream, which waits for the compute stream's
/// release of the slot (recorded here, after the work that read the slot's tensors), while the
/// compute stream waits for the copy before its next work. The host waits only for the slot's
/// previous copy to have read the pinned buffer before refilling it, two batches later.
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
        PinnedSlot s = _slots[slot];
        long inputBytes = (long)inputs.Length * sizeof(float);
        long labelOffset = (inputBytes + 255) & ~255L;
        long bytes = labelOffset + (long)labels.Length * sizeof(int);
        if (s.Used)
        {
            // Everything queued so far includes the step that read this slot's tensors two uploads ago.
            ShimLibrary.Check(ShimNative.ecud_upload_release(slot), "releasing a staging slot");
            ShimLibrary.Check(ShimNative.ecud_upload_sync(slot), "waiting for a staging slot's previous copy");
        }
        s.Reserve(bytes);
        inputs.CopyTo(new Span<float>((void*)s.Pointer, inputs.Length));
        labels.CopyTo(new Span<int>((void*)(s.Pointer + (nint)labelOffset), labels.Length));
        ShimLibrary.Check(ShimNative.ecud_upload(slot, Ptr(inputTensor).Address, s.Pointer, (nuint)inputBytes), "uploading a batch");
        ShimLibrary.Check(ShimNative.ecud_upload(slot, Ptr(labelTensor).Address, s.Pointer + (nint)labelOffset, (nuint)(labels.Length * sizeof(int))),
            "uploading a batch's labels");
        ShimLibrary.Check(ShimNative.ecud_upload_wait(slot), "ordering the step after its batch's upload");
        s.Used = true;
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
            if (_slots[i].Used)
            {
                _ = ShimNative.ecud_upload_release(i);
            }
            _slots[i].Dispose();
        }
    }

    /// <summary>One slot's pinned host buffer, grown (never shrunk) to the largest batch.</summary>
    private sealed class PinnedSlot : IDisposable
    {
        public nint Pointer { get; private set; }

        public long Capacity { get; private set; }

        public bool Used { get; set; }

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
