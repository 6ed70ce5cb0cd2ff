// The emulated NCCL (nccl_emu.cpp) through the library: one rank leaves the buffer as it is; two
// ranks in two processes (fork) get the same float32 sums, over more than one chunk of the file,
// in a grouped call of several buffers; the group file's name is gone once both have joined.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ecud.h"

static int failures;
#define EXPECT(condition, ...)                            \
  do {                                                    \
    if (!(condition)) {                                   \
      failures++;                                         \
      std::printf("FAIL line %d: ", __LINE__);            \
      std::printf(__VA_ARGS__);                           \
      std::printf("\n");                                  \
    }                                                     \
  } while (0)

static float value(int rank, size_t i) { return (float)(rank + 1) * 0.25f + (float)(i % 1000) * 0.5f; }

// Rank `rank` of `size`: sums a large buffer (over two chunks) and a small one in one call.
static void run_rank(const unsigned char *id, int size, int rank) {
  EXPECT(ecud_init(0, 0, nullptr) == ECUD_OK, "init: %s", ecud_last_error());
  void *communicator = nullptr;
  EXPECT(ecud_nccl_init(&communicator, size, id, rank) == ECUD_OK, "rank %d: nccl init: %s", rank, ecud_last_error());
  const size_t large = 150000, small = 7;
  void *buffers[2] = {nullptr, nullptr};
  size_t counts[2] = {large, small};
  std::vector<float> host[2];
  for (int b = 0; b < 2; b++) {
    host[b].resize(counts[b]);
    for (size_t i = 0; i < counts[b]; i++) host[b][i] = value(rank, i + (size_t)b * 3);
    EXPECT(ecud_malloc(&buffers[b], counts[b] * sizeof(float)) == ECUD_OK, "malloc");
    EXPECT(ecud_copy_to_device(buffers[b], host[b].data(), counts[b] * sizeof(float)) == ECUD_OK, "upload");
  }
  EXPECT(ecud_nccl_sum(communicator, buffers, counts, 2) == ECUD_OK, "rank %d: sum: %s", rank, ecud_last_error());
  for (int b = 0; b < 2; b++) {
    std::vector<float> out(counts[b]);
    EXPECT(ecud_copy_to_host(out.data(), buffers[b], counts[b] * sizeof(float)) == ECUD_OK, "download");
    int wrong = 0;
    for (size_t i = 0; i < counts[b]; i++) {
      float expected = 0;
      for (int r = 0; r < size; r++) expected += value(r, i + (size_t)b * 3);
      if (out[i] != expected && wrong++ < 3) EXPECT(false, "rank %d buffer %d [%zu]: %g, expected %g", rank, b, i, out[i], expected);
    }
  }
  // A buffer that is not device memory is refused, naming the call.
  float stack[4];
  void *bad[1] = {stack};
  size_t four[1] = {4};
  EXPECT(ecud_nccl_sum(communicator, bad, four, 1) == ECUD_ERROR_ARGUMENT, "host memory accepted");
  EXPECT(std::strstr(ecud_last_error(), "not device memory") != nullptr, "message '%s'", ecud_last_error());
  EXPECT(ecud_nccl_destroy(communicator) == ECUD_OK, "destroy");
}

int main() {
  char description[256];
  EXPECT(ecud_nccl_load(nullptr, description, sizeof description) == ECUD_OK, "load: %s", description);
  unsigned char id[ECUD_NCCL_ID_BYTES];

  // One rank: a sum is the buffer itself (no file is used).
  EXPECT(ecud_nccl_unique_id(id) == ECUD_OK, "unique id: %s", ecud_last_error());
  pid_t one = fork();
  if (one == 0) {
    run_rank(id, 1, 0);
    _exit(failures ? 1 : 0);
  }
  int status = 0;
  waitpid(one, &status, 0);
  EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "one rank failed");
  std::remove((const char *)id + std::strlen("engine-nccl-emulator:")); // one rank never opens it

  // Two ranks: the child is rank 1, the parent rank 0 (both inherit the id).
  EXPECT(ecud_nccl_unique_id(id) == ECUD_OK, "unique id: %s", ecud_last_error());
  const char *path = (const char *)id + std::strlen("engine-nccl-emulator:");
  EXPECT(access(path, F_OK) == 0, "the group file %s was not made", path);
  pid_t child = fork();
  if (child == 0) {
    run_rank(id, 2, 1);
    _exit(failures ? 1 : 0);
  }
  run_rank(id, 2, 0);
  waitpid(child, &status, 0);
  EXPECT(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rank 1 failed");
  EXPECT(access(path, F_OK) != 0, "the group file %s is still there", path);

  // A rank whose partner never comes fails after the timeout instead of hanging.
  setenv("ENGINE_CUDNN_EMU_NCCL_TIMEOUT", "0.3", 1);
  EXPECT(ecud_nccl_unique_id(id) == ECUD_OK, "unique id");
  EXPECT(ecud_init(0, 0, nullptr) == ECUD_OK, "init");
  void *lonely = nullptr;
  EXPECT(ecud_nccl_init(&lonely, 2, id, 0) == ECUD_ERROR_NCCL, "a lonely rank joined");
  EXPECT(std::strstr(ecud_last_error(), "waited") != nullptr, "message '%s'", ecud_last_error());

  if (failures) return 1;
  std::printf("emulated nccl: ok\n");
  return 0;
}
