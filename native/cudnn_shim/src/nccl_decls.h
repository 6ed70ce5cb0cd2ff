/* NCCL's declarations the shim uses, written out by hand (the shim builds without nccl.h), checked
 * against the real nccl.h by check/header_check.c on the GPU machine. Handles are void *, enums
 * int, as in cuda_decls.h; ncclUniqueId is passed by value, so its layout is declared as NCCL's. */
#ifndef ECUD_NCCL_DECLS_H
#define ECUD_NCCL_DECLS_H

#include <stddef.h>

#include "cuda_decls.h"

typedef int ec_ncclResult_t;
typedef void *ec_ncclComm_t;

#define EC_NCCL_UNIQUE_ID_BYTES 128
typedef struct ec_ncclUniqueId {
  char internal[EC_NCCL_UNIQUE_ID_BYTES];
} ec_ncclUniqueId;

enum { EC_ncclSuccess = 0, EC_ncclInProgress = 7 };
enum { EC_ncclFloat32 = 7 };
enum { EC_ncclSum = 0 };

typedef ec_ncclResult_t (*ec_ncclGetVersion_t)(int *version);
typedef ec_ncclResult_t (*ec_ncclGetUniqueId_t)(ec_ncclUniqueId *unique_id);
typedef ec_ncclResult_t (*ec_ncclCommInitRank_t)(ec_ncclComm_t *comm, int nranks, ec_ncclUniqueId comm_id, int rank);
typedef ec_ncclResult_t (*ec_ncclAllReduce_t)(const void *sendbuff, void *recvbuff, size_t count, int datatype, int op,
                                              ec_ncclComm_t comm, ec_cudaStream_t stream);
typedef ec_ncclResult_t (*ec_ncclGroupStart_t)(void);
typedef ec_ncclResult_t (*ec_ncclGroupEnd_t)(void);
typedef ec_ncclResult_t (*ec_ncclCommDestroy_t)(ec_ncclComm_t comm);
typedef const char *(*ec_ncclGetErrorString_t)(ec_ncclResult_t result);
typedef const char *(*ec_ncclGetLastError_t)(ec_ncclComm_t comm);

#endif
