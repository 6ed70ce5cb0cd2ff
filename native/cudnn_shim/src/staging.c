/* Pinned host memory, double-buffered uploads on a copy stream, and step timing with events.
 *
 * Uploads: the copy stream runs beside the compute stream, so batch i+1's copy from pinned memory
 * overlaps batch i's step. Two events per slot order it: `released` (recorded on the compute stream
 * once the slot's device buffer is no longer read) gates the next copy into it, `uploaded`
 * (recorded on the copy stream after the copy) gates the compute stream's first read. Neither
 * makes the host wait; ecud_upload_sync does, before the host refills the slot's pinned buffer.
 *
 * Step timing: a ring of event pairs recorded on the compute stream around each step. The gap
 * between one step's end event and the next one's begin event, on the GPU's clock, is time the
 * stream had nothing queued: the GPU's idle time between steps. */
#include "shim.h"

#include <string.h>

typedef struct upload_slot {
  ec_cudaEvent_t uploaded, released;
  int used; /* released has been recorded at least once */
} upload_slot;

static ec_cudaStream_t copy_stream;
static upload_slot slots[ECUD_UPLOAD_SLOTS];
static ec_cudaEvent_t marks[ECUD_STEP_MARKS][2]; /* begin, end of each step */
static int marked;                               /* steps begun since the last ecud_step_times */
static int open_step;                            /* 1 between ecud_step_begin and ecud_step_end */

void ecud_staging_release(void) {
  for (int i = 0; i < ECUD_UPLOAD_SLOTS; i++) {
    if (slots[i].uploaded) ecud_g.rt.cudaEventDestroy(slots[i].uploaded);
    if (slots[i].released) ecud_g.rt.cudaEventDestroy(slots[i].released);
  }
  memset(slots, 0, sizeof slots);
  if (copy_stream) {
    ecud_g.rt.cudaStreamSynchronize(copy_stream);
    ecud_g.rt.cudaStreamDestroy(copy_stream);
  }
  copy_stream = NULL;
  for (int i = 0; i < ECUD_STEP_MARKS; i++)
    for (int j = 0; j < 2; j++)
      if (marks[i][j]) ecud_g.rt.cudaEventDestroy(marks[i][j]);
  memset(marks, 0, sizeof marks);
  marked = open_step = 0;
}

int ecud_host_alloc(void **pointer, size_t bytes) {
  if (!pointer) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_host_alloc: no pointer");
  *pointer = NULL;
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_host_alloc (cudaHostAlloc)"));
  return ecud_check_cuda(ecud_g.rt.cudaHostAlloc(pointer, bytes ? bytes : 1, EC_cudaHostAllocDefault), "cudaHostAlloc");
}

int ecud_host_free(void *pointer) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_host_free (cudaFreeHost)"));
  return pointer ? ecud_check_cuda(ecud_g.rt.cudaFreeHost(pointer), "cudaFreeHost") : ECUD_OK;
}

static int slot_ready(int slot, const char *call) {
  ECUD_TRY(ecud_require_init());
  if (slot < 0 || slot >= ECUD_UPLOAD_SLOTS) return ecud_fail(ECUD_ERROR_ARGUMENT, "%s: slot %d (0 to %d)", call, slot, ECUD_UPLOAD_SLOTS - 1);
  ECUD_TRY(ecud_refuse_in_capture(call));
  if (!copy_stream)
    ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamCreateWithFlags(&copy_stream, EC_cudaStreamNonBlocking), "cudaStreamCreateWithFlags(copy stream)"));
  upload_slot *s = &slots[slot];
  if (!s->uploaded) ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventCreateWithFlags(&s->uploaded, EC_cudaEventDisableTiming), "cudaEventCreateWithFlags"));
  if (!s->released) ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventCreateWithFlags(&s->released, EC_cudaEventDisableTiming), "cudaEventCreateWithFlags"));
  return ECUD_OK;
}

int ecud_upload(int slot, void *destination, const void *pinned_source, size_t bytes) {
  ECUD_TRY(slot_ready(slot, "ecud_upload"));
  upload_slot *s = &slots[slot];
  if (s->used) ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamWaitEvent(copy_stream, s->released, 0), "cudaStreamWaitEvent(copy stream)"));
  if (bytes)
    ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaMemcpyAsync(destination, pinned_source, bytes, EC_cudaMemcpyHostToDevice, copy_stream),
                             "cudaMemcpyAsync(pinned host to device, copy stream)"));
  return ecud_check_cuda(ecud_g.rt.cudaEventRecord(s->uploaded, copy_stream), "cudaEventRecord(uploaded)");
}

int ecud_upload_wait(int slot) {
  ECUD_TRY(slot_ready(slot, "ecud_upload_wait"));
  return ecud_check_cuda(ecud_g.rt.cudaStreamWaitEvent(ecud_g.stream, slots[slot].uploaded, 0), "cudaStreamWaitEvent(compute stream)");
}

int ecud_upload_release(int slot) {
  ECUD_TRY(slot_ready(slot, "ecud_upload_release"));
  slots[slot].used = 1;
  return ecud_check_cuda(ecud_g.rt.cudaEventRecord(slots[slot].released, ecud_g.stream), "cudaEventRecord(released)");
}

int ecud_upload_sync(int slot) {
  ECUD_TRY(slot_ready(slot, "ecud_upload_sync"));
  return ecud_check_cuda(ecud_g.rt.cudaEventSynchronize(slots[slot].uploaded), "cudaEventSynchronize(uploaded)");
}

static int mark(int which, const char *call) {
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture(call));
  if (which == 0 && open_step) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_step_begin: the previous step has not ended");
  if (which == 1 && !open_step) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_step_end: no step has begun");
  if (which == 0 && marked >= ECUD_STEP_MARKS)
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_step_begin: %d steps timed without ecud_step_times", ECUD_STEP_MARKS);
  int index = which == 0 ? marked : marked - 1;
  ec_cudaEvent_t *event = &marks[index][which];
  if (!*event) ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventCreateWithFlags(event, EC_cudaEventDefault), "cudaEventCreateWithFlags(timing)"));
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventRecord(*event, ecud_g.stream), "cudaEventRecord(step)"));
  if (which == 0) marked++;
  open_step = which == 0;
  return ECUD_OK;
}

int ecud_step_begin(void) { return mark(0, "ecud_step_begin (cudaEventRecord)"); }

int ecud_step_end(void) { return mark(1, "ecud_step_end (cudaEventRecord)"); }

int ecud_step_times(float *busy_ms, float *idle_ms, int capacity, int *count) {
  if (!count) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_step_times: no count");
  *count = 0;
  ECUD_TRY(ecud_require_init());
  ECUD_TRY(ecud_refuse_in_capture("ecud_step_times (cudaEventSynchronize)"));
  if (open_step) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_step_times: a step has begun and not ended");
  if (marked == 0) return ECUD_OK;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventSynchronize(marks[marked - 1][1]), "cudaEventSynchronize(step)"));
  int n = marked < capacity ? marked : capacity;
  for (int i = 0; i < n; i++) {
    ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventElapsedTime(&busy_ms[i], marks[i][0], marks[i][1]), "cudaEventElapsedTime(busy)"));
    idle_ms[i] = 0;
    if (i > 0) ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaEventElapsedTime(&idle_ms[i], marks[i - 1][1], marks[i][0]), "cudaEventElapsedTime(idle)"));
  }
  *count = n;
  marked = 0;
  return ECUD_OK;
}
