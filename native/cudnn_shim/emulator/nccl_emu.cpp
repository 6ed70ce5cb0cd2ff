// Host emulation of the shim's NCCL calls (ecud_nccl_* of include/ecud.h), so that the C# NCCL
// communicator runs without a GPU, with one rank or several in separate processes.
//   - the group id names a file in /dev/shm (the temporary folder where there is none) made by
//     ecud_nccl_unique_id; every rank maps it, and rank 0 removes its name once all have joined;
//   - a sum runs in chunks: each rank copies its chunk into its own slot of the file, all meet at
//     a barrier, each adds the slots in rank order (the same float32 sums on every rank), and all
//     meet again before the slots are reused. One rank: the sum is the buffer itself;
//   - a rank that waits longer than ENGINE_CUDNN_EMU_NCCL_TIMEOUT seconds (default 60) for the
//     others fails with ECUD_ERROR_NCCL instead of hanging;
//   - ENGINE_CUDNN_EMU_NCCL=missing makes ecud_nccl_load fail as the real shim does without libnccl.
// Work is synchronous (the emulator's stream), so a sum has completed when the call returns.
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ecud.h"

#define ECUD_TRY_EMU(call)                            \
  do {                                                \
    int ecud_status_ = (call);                        \
    if (ecud_status_ != ECUD_OK) return ecud_status_; \
  } while (0)

// emulator.cpp
int ecud_emu_fail_message(int status, const char *message);
int ecud_emu_check_device(const void *pointer, size_t bytes, const char *what);

namespace {

const char id_prefix[] = "engine-nccl-emulator:";
const int max_ranks = 16;
const size_t chunk_floats = (size_t)1 << 16; // per rank and round: 256 KiB
const size_t header_bytes = 4096;
const size_t file_bytes = header_bytes + (size_t)max_ranks * chunk_floats * sizeof(float);

struct shared_header { // at the start of the file, zero when made
  std::atomic<int> joined;
  std::atomic<int> arrived;
  std::atomic<int> generation;
};
static_assert(std::atomic<int>::is_always_lock_free, "process-shared atomics need to be lock-free");

struct communicator {
  int size = 1, rank = 0;
  shared_header *header = nullptr; // null with one rank
  float *slots = nullptr;
};

template <typename... A> int fail(int status, const char *format, A... args) {
  char message[1024];
  std::snprintf(message, sizeof message, format, args...);
  return ecud_emu_fail_message(status, message);
}

double timeout_seconds() {
  const char *value = std::getenv("ENGINE_CUDNN_EMU_NCCL_TIMEOUT");
  double seconds = value ? std::atof(value) : 0;
  return seconds > 0 ? seconds : 60;
}

// Every rank arrives, then all go on (a barrier over the file, by generation number).
int barrier(communicator &c, const char *where) {
  int generation = c.header->generation.load();
  if (c.header->arrived.fetch_add(1) == c.size - 1) {
    c.header->arrived.store(0);
    c.header->generation.fetch_add(1);
    return ECUD_OK;
  }
  auto start = std::chrono::steady_clock::now();
  double limit = timeout_seconds();
  for (long spins = 0; c.header->generation.load() == generation; spins++) {
    if (spins < 1000) {
      sched_yield();
      continue;
    }
    usleep(100);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > limit)
      return fail(ECUD_ERROR_NCCL, "emulated NCCL: rank %d of %d waited %.0f s for the other ranks in %s", c.rank, c.size, limit, where);
  }
  return ECUD_OK;
}

int sum(communicator &c, float *buffer, size_t count) {
  for (size_t offset = 0; offset < count; offset += chunk_floats) {
    size_t n = count - offset < chunk_floats ? count - offset : chunk_floats;
    std::memcpy(c.slots + (size_t)c.rank * chunk_floats, buffer + offset, n * sizeof(float));
    ECUD_TRY_EMU(barrier(c, "ncclAllReduce"));
    for (size_t i = 0; i < n; i++) {
      float total = c.slots[i];
      for (int r = 1; r < c.size; r++) total += c.slots[(size_t)r * chunk_floats + i];
      buffer[offset + i] = total;
    }
    ECUD_TRY_EMU(barrier(c, "ncclAllReduce"));
  }
  return ECUD_OK;
}

std::string shared_folder() {
  struct stat s;
  if (stat("/dev/shm", &s) == 0 && S_ISDIR(s.st_mode) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
  const char *tmp = std::getenv("TMPDIR");
  return tmp && *tmp ? tmp : "/tmp";
}

} // namespace

extern "C" {

ECUD_API int ecud_nccl_load(const char *, char *description, int capacity) {
  const char *mode = std::getenv("ENGINE_CUDNN_EMU_NCCL");
  int status = ECUD_OK;
  if (mode && std::strcmp(mode, "missing") == 0)
    status = fail(ECUD_ERROR_LIBRARY, "NCCL 2 not found (looked for libnccl.so.2, libnccl.so): emulated (ENGINE_CUDNN_EMU_NCCL=missing)");
  if (description && capacity > 0)
    std::snprintf(description, (size_t)capacity, "%s",
                  status == ECUD_OK ? "host emulation of NCCL (ranks meet in a shared-memory file)" : ecud_last_error());
  return status;
}

ECUD_API int ecud_nccl_unique_id(unsigned char *id) {
  if (!id) return fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_unique_id: id is NULL");
  std::string path = shared_folder() + "/engine-nccl-emu-XXXXXX";
  if (path.size() + sizeof id_prefix > ECUD_NCCL_ID_BYTES) return fail(ECUD_ERROR_ARGUMENT, "emulated NCCL: folder name %s too long", path.c_str());
  int fd = mkstemp(&path[0]);
  if (fd < 0) return fail(ECUD_ERROR_NCCL, "emulated NCCL: cannot make %s: %s", path.c_str(), std::strerror(errno));
  int grown = ftruncate(fd, (off_t)file_bytes);
  close(fd);
  if (grown != 0) return fail(ECUD_ERROR_NCCL, "emulated NCCL: cannot size %s: %s", path.c_str(), std::strerror(errno));
  std::memset(id, 0, ECUD_NCCL_ID_BYTES);
  std::snprintf((char *)id, ECUD_NCCL_ID_BYTES, "%s%s", id_prefix, path.c_str());
  return ECUD_OK;
}

ECUD_API int ecud_nccl_init(void **out, int size, const unsigned char *id, int rank) {
  if (!out || !id) return fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_init: communicator or id is NULL");
  ECUD_TRY_EMU(ecud_emu_check_device(nullptr, 0, "ecud_nccl_init"));
  if (size < 1 || size > max_ranks || rank < 0 || rank >= size)
    return fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_init: rank %d of %d ranks (the emulator has at most %d)", rank, size, max_ranks);
  char text[ECUD_NCCL_ID_BYTES + 1];
  std::memcpy(text, id, ECUD_NCCL_ID_BYTES);
  text[ECUD_NCCL_ID_BYTES] = 0;
  if (std::strncmp(text, id_prefix, sizeof id_prefix - 1) != 0)
    return fail(ECUD_ERROR_NCCL, "emulated NCCL: ncclCommInitRank: the group id was not made by ecud_nccl_unique_id (ncclInvalidArgument)");
  auto *c = new communicator;
  c->size = size;
  c->rank = rank;
  if (size > 1) {
    const char *path = text + sizeof id_prefix - 1;
    int fd = open(path, O_RDWR);
    if (fd < 0) {
      delete c;
      return fail(ECUD_ERROR_NCCL, "emulated NCCL: rank %d cannot open the group's file %s: %s", rank, path, std::strerror(errno));
    }
    void *mapped = mmap(nullptr, file_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (mapped == MAP_FAILED) {
      delete c;
      return fail(ECUD_ERROR_NCCL, "emulated NCCL: cannot map %s: %s", path, std::strerror(errno));
    }
    c->header = static_cast<shared_header *>(mapped);
    c->slots = reinterpret_cast<float *>(static_cast<char *>(mapped) + header_bytes);
    c->header->joined.fetch_add(1);
    int status = barrier(*c, "ncclCommInitRank");
    if (status == ECUD_OK && c->header->joined.load() != size)
      status = fail(ECUD_ERROR_NCCL, "emulated NCCL: %d ranks joined a group of %d (ranks disagree on its size)", c->header->joined.load(), size);
    if (rank == 0) unlink(path); // every rank has it mapped: the name is no longer needed
    if (status != ECUD_OK) {
      munmap(mapped, file_bytes);
      delete c;
      return status;
    }
  }
  *out = c;
  return ECUD_OK;
}

ECUD_API int ecud_nccl_sum(void *handle, void *const *buffers, const size_t *counts, int buffer_count) {
  if (!handle || buffer_count < 0 || (buffer_count > 0 && (!buffers || !counts)))
    return fail(ECUD_ERROR_ARGUMENT, "ecud_nccl_sum: no communicator, or %d buffers without their addresses", buffer_count);
  auto &c = *static_cast<communicator *>(handle);
  for (int i = 0; i < buffer_count; i++) {
    if ((uintptr_t)buffers[i] % alignof(float) != 0)
      return fail(ECUD_ERROR_ARGUMENT, "emulated NCCL: buffer %d at %p is not float32-aligned", i, buffers[i]);
    ECUD_TRY_EMU(ecud_emu_check_device(buffers[i], counts[i] * sizeof(float), "ecud_nccl_sum (ncclAllReduce)"));
  }
  if (c.size == 1) return ECUD_OK;
  for (int i = 0; i < buffer_count; i++) ECUD_TRY_EMU(sum(c, static_cast<float *>(buffers[i]), counts[i]));
  return ECUD_OK;
}

ECUD_API int ecud_device_count(int *count) {
  if (!count) return fail(ECUD_ERROR_ARGUMENT, "ecud_device_count: count is NULL");
  *count = 1; // ecud_init accepts device 0 only
  return ECUD_OK;
}

ECUD_API int ecud_nccl_destroy(void *handle) {
  if (!handle) return ECUD_OK;
  auto *c = static_cast<communicator *>(handle);
  if (c->header) munmap(c->header, file_bytes);
  delete c;
  return ECUD_OK;
}

} // extern "C"
