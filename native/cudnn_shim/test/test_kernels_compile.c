/* Every embedded kernel module compiles with NVRTC (for compute capability 8.0), without a GPU:
 * only libnvrtc is needed. Skipped (exit 77) where NVRTC is not installed, as on CI machines; on a
 * developer machine with Debian's nvidia-cuda-toolkit (or any CUDA) it runs. */
#include "ecud.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  char modules[1024];
  snprintf(modules, sizeof modules, "%s", ecud_kernel_modules());
  int failures = 0, compiled = 0;
  for (char *name = strtok(modules, ";"); name; name = strtok(NULL, ";")) {
    int status = ecud_compile_check(name, 8, 0);
    if (status == ECUD_ERROR_LIBRARY) {
      printf("skipped: %s\n", ecud_last_error());
      return 77;
    }
    if (status != ECUD_OK) {
      printf("FAIL %s: %s\n", name, ecud_last_error());
      failures++;
    } else {
      compiled++;
      printf("compiled %s\n", name);
    }
  }
  printf("%d module(s) compiled, %d failed\n", compiled, failures);
  return failures || compiled == 0 ? 1 : 0;
}
