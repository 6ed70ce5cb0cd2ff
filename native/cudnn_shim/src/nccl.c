/* NCCL for data-parallel training with one process per GPU: opened on first use (ecud_nccl_load),
 * so the rest of the shim never needs it; in-place float32 sums on the shim's stream. */
#include "nccl_decls.h"
#include "shim.h"

#include <stdio.h>
#include <string.h>

typedef struct ecud_nccl {
  int loaded;
  int version; /* ncclGetVersion's code: major * 10000 + minor * 100 + patch (NCCL ≥ 2.9) */
  ec_ncclGetVersion_t ncclGetVersion;
  ec_ncclGetUniqueId_t ncclGetUniqueId;
  ec_ncclCommInitRank_t ncclCommInitRank;
  ec_ncclAllReduce_t ncclAllReduce;
  ec_ncclGroupStart_t ncclGroupStart;
  ec_ncclGroupEnd_t ncclGroupEnd;
  ec_ncclCommDestroy_t ncclCommDestroy;
  ec_ncclGetErrorString_t ncclGetErrorString;
  ec_ncclGetLastError_t ncclGetLastError; /* NCCL ≥ 2.13; NULL before */
  char report[1400];
} ecud_nccl;

static ecud_nccl nccl;

#if defined(_WIN32)
static const char *const NCCL_NAMES[] = {"nccl.dll", 0};
#else
/* PyTorch's CUDA wheels carry it as nvidia/nccl/lib/libnccl.so.2 (give that folder in search_path);
 * the NVIDIA packages install it in the system's library folder. */
static const char *const NCCL_NAMES[] = {"libnccl.so.2", "libnccl.so", 0};
#endif

/* A failed NCCL call: its code, NCCL's text for it, and the communicator's last message. */
static int check_nccl(ec_ncclResult_t result, const char *call, ec_ncclComm_t comm) {
  if (result == EC_ncclSuccess) return ECUD_OK;
  const char *text = nccl.ncclGetErrorString ? nccl.ncclGetErrorString(result) : "?";
  const char *detail = comm && nccl.ncclGetLastError ? nccl.ncclGetLastError(comm) : NULL;
  return ecud_fail(ECUD_ERROR_NCCL, "NCCL: %s failed with result %d (%s)%s%s", call, result, text ? text : "?",
                   detail && *detail ? ": " : "", detail && *detail ? detail : "");
}

#define RESOLVE_NCCL(symbol, required)                                                                           \
  do {                                                                                                           \
    *(void **)&nccl.symbol = ecud_find_symbol(library, #symbol);                                                 \
    if (required && !nccl.symbol) return ecud_fail(ECUD_ERROR_LIBRARY, "NCCL: %s has no symbol %s", found, #symbol); \
  } while (0)

static int load(const char *search_path) {
  if (nccl.loaded) return ECUD_OK;
  void *library;
  char found[1200];
  ECUD_TRY(ecud_open_optional("NCCL 2", NCCL_NAMES, search_path, &library, found, sizeof found));
  RESOLVE_NCCL(ncclGetVersion, 1);
  RESOLVE_NCCL(ncclGetUniqueId, 1);
  RESOLVE_NCCL(ncclCommInitRank, 1);
  RESOLVE_NCCL(ncclAllReduce, 1);
  RESOLVE_NCCL(ncclGroupStart, 1);
  RESOLVE_NCCL(ncclGroupEnd, 1);
  RESOLVE_NCCL(ncclCommDestroy, 1);
  RESOLVE_NCCL(ncclGetErrorString, 1);
  RESOLVE_NCCL(ncclGetLastError, 0);
  ECUD_TRY(check_nccl(nccl.ncclGetVersion(&nccl.version), "ncclGetVersion", NULL));
  if (nccl.version < 20900)
    return ecud_fail(ECUD_ERROR_LIBRARY, "NCCL: %s is version code %d; the shim needs NCCL 2.9 or later", found, nccl.version);
  snprintf(nccl.report, sizeof nccl.report, "NCCL %d.%d.%d (%s)", nccl.version / 10000, nccl.version / 100 % 100, nccl.version % 100,
           found);
  nccl.loaded = 1;
  return ECUD_OK;
}

int ecud_nccl_load(const char *search_path, char *description, int capacity) {
  int status = load(search_path);
  if (description && capacity > 0) snprintf(description, (size_t)capacity, "%s", status == ECUD_OK ? nccl.report : ecud_last_error());
  return status;
}

static int require_nccl(void) {
  return nccl.loaded ? ECUD_OK : ecud_fail(ECUD_ERROR_STATE, "NCCL is not loaded (call ecud_nccl_load first)");
}

int ecud_nccl_unique_id(unsigned char *id) {
  ECUD_TRY(require_nccl());
  if (!id) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_unique_id: id is NULL");
  ec_ncclUniqueId unique;
  ECUD_TRY(check_nccl(nccl.ncclGetUniqueId(&unique), "ncclGetUniqueId", NULL));
  memcpy(id, unique.internal, sizeof unique.internal);
  return ECUD_OK;
}

int ecud_nccl_init(void **communicator, int size, const unsigned char *id, int rank) {
  ECUD_TRY(require_nccl());
  ECUD_TRY(ecud_require_init()); /* NCCL binds the communicator to the calling thread's current device */
  if (!communicator || !id) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_init: communicator or id is NULL");
  if (size < 1 || rank < 0 || rank >= size) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_init: rank %d of %d ranks", rank, size);
  ECUD_TRY(ecud_refuse_in_capture("ecud_nccl_init (ncclCommInitRank)"));
  ec_ncclUniqueId unique;
  memcpy(unique.internal, id, sizeof unique.internal);
  ec_ncclComm_t comm = NULL;
  ECUD_TRY(check_nccl(nccl.ncclCommInitRank(&comm, size, unique, rank), "ncclCommInitRank", NULL));
  *communicator = comm;
  return ECUD_OK;
}

int ecud_nccl_sum(void *communicator, void *const *buffers, const size_t *counts, int buffer_count) {
  ECUD_TRY(require_nccl());
  ECUD_TRY(ecud_require_init());
  if (!communicator || buffer_count < 0 || (buffer_count > 0 && (!buffers || !counts)))
    return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_sum: no communicator, or %d buffers without their addresses", buffer_count);
  /* One group: NCCL fuses the bucket's all-reduces into one launch on the stream. */
  ECUD_TRY(check_nccl(nccl.ncclGroupStart(), "ncclGroupStart", communicator));
  int status = ECUD_OK;
  for (int i = 0; i < buffer_count && status == ECUD_OK; i++) {
    if (!counts[i]) continue;
    status = check_nccl(nccl.ncclAllReduce(buffers[i], buffers[i], counts[i], EC_ncclFloat32, EC_ncclSum, communicator, ecud_g.stream),
                        "ncclAllReduce", communicator);
  }
  /* Ended even after a failure: an open group would swallow every later call. */
  int ended = check_nccl(nccl.ncclGroupEnd(), "ncclGroupEnd", communicator);
  return status != ECUD_OK ? status : ended;
}

int ecud_nccl_destroy(void *communicator) {
  if (!communicator) return ECUD_OK;
  ECUD_TRY(require_nccl());
  ECUD_TRY(ecud_require_init());
  /* Sums still queued read the communicator: let them finish first. */
  ECUD_TRY(ecud_check_cuda(ecud_g.rt.cudaStreamSynchronize(ecud_g.stream), "cudaStreamSynchronize"));
  return check_nccl(nccl.ncclCommDestroy(communicator), "ncclCommDestroy", NULL);
}

int ecud_device_count(int *count) {
  if (!count) return ecud_fail(ECUD_ERROR_ARGUMENT, "ecud_device_count: count is NULL");
  *count = 0;
  if (!ecud_g.loaded) return ecud_fail(ECUD_ERROR_STATE, "the CUDA libraries are not loaded (call ecud_load first)");
  return ecud_check_cuda(ecud_g.rt.cudaGetDeviceCount(count), "cudaGetDeviceCount");
}
