/* CUDA graphs: stream capture of the shim's one stream, instantiation and replay.
 *
 * Capture mode: cudaStreamCaptureModeThreadLocal. The capturing thread is refused the calls that
 * cannot be recorded (allocation, freeing, host copies, synchronisation), while other threads (a
 * data-loading thread that allocates pinned staging memory, another backend instance's finaliser)
 * go on unhindered; global mode would make their cudaMalloc fail the capture for no reason of
 * ours. The shim refuses those calls itself (ecud_refuse_in_capture) before they reach CUDA, with a
 * message naming the call, and remembers the first one: ecud_capture_end then names it. */
#include "shim.h"

#include <stdio.h>
#include <string.h>

#if defined(_WIN32)
#define THREAD_LOCAL __declspec(thread)
#else
#define THREAD_LOCAL __thread
#endif

static THREAD_LOCAL int capturing;           /* this thread opened the capture */
static THREAD_LOCAL char invalidated_by[256]; /* the first refused call, or "" */

int ecud_refuse_in_capture(const char *call) {
  if (!capturing) return ECUD_OK;
  if (!invalidated_by[0]) snprintf(invalidated_by, sizeof invalidated_by, "%s", call);
  return ecud_fail(ECUD_ERROR_CAPTURE,
                   "%s is not allowed while the stream is being captured into a CUDA graph (cudaErrorStreamCaptureUnsupported); "
                   "the capture is invalidated",
                   call);
}

int ecud_capturing(void) { return capturing; }

int ecud_capture_begin(void) {
  ECUD_TRY(ecud_require_init());
  if (capturing) return ecud_fail(ECUD_ERROR_CAPTURE, "ecud_capture_begin: a capture is already open on this thread");
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamBeginCapture(ecud_g.stream, EC_cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture"));
  capturing = 1;
  invalidated_by[0] = 0;
  return ECUD_OK;
}

int ecud_capture_end(void **graph) {
  *graph = NULL;
  ECUD_TRY(ecud_require_init());
  if (!capturing) return ecud_fail(ECUD_ERROR_CAPTURE, "ecud_capture_end: no capture is open on this thread");
  capturing = 0;
  ec_cudaGraph_t g = NULL;
  ec_cudaError_t ended = ecud_g.rt.cudaStreamEndCapture(ecud_g.stream, &g);
  if (invalidated_by[0] || ended == EC_cudaErrorStreamCaptureInvalidated) {
    if (g) ecud_g.rt.cudaGraphDestroy(g);
    ecud_g.rt.cudaGetLastError();
    return ecud_fail(ECUD_ERROR_CAPTURE, "the CUDA graph capture was invalidated (cudaErrorStreamCaptureInvalidated) by %s",
                     invalidated_by[0] ? invalidated_by : "a call CUDA refused while capturing");
  }
  ECUD_TRY(ecud_check_cuda(ended, "cudaStreamEndCapture"));
  ec_cudaGraphExec_t exec = NULL;
  int status = ecud_check_cuda(ecud_g.rt.cudaGraphInstantiate(&exec, g, 0), "cudaGraphInstantiate");
  ecud_g.rt.cudaGraphDestroy(g); /* the executable graph holds its own copy */
  if (status != ECUD_OK) return status;
  *graph = exec;
  ecud_g.live_graphs++; /* its workspace and staging addresses must stay valid: ecud_grow_device_buffer */
  return ECUD_OK;
}

int ecud_graph_launch(void *graph) {
  ECUD_TRY(ecud_require_init());
  if (!graph) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_graph_launch: no graph");
  ECUD_TRY(ecud_refuse_in_capture("ecud_graph_launch"));
  return ecud_check_cuda(ecud_g.rt.cudaGraphLaunch(graph, ecud_g.stream), "cudaGraphLaunch");
}

int ecud_graph_destroy(void *graph) {
  ECUD_TRY(ecud_require_init());
  if (!graph) return ECUD_OK;
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaGraphExecDestroy(graph), "cudaGraphExecDestroy"));
  if (ecud_g.live_graphs > 0) ecud_g.live_graphs--;
  ecud_free_retired(); /* cudaFree waits for the device: a replay still running ends first */
  return ECUD_OK;
}
