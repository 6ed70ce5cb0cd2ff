/* The shim on a machine without CUDA (as every CI machine is): it loads, reports its version and
 * embedded kernel modules, refuses calls before initialisation, and fails ecud_load/ecud_init with
 * a message naming the library it looked for. On a machine with CUDA it checks only the first part. */
#include "ecud.h"

#include <stdio.h>
#include <string.h>

#include "expect.h"

int main(void) {
  EXPECT(ecud_version() == ECUD_API_VERSION, "version %d", ecud_version());
  const char *modules = ecud_kernel_modules();
  EXPECT(strstr(modules, "memory") != NULL, "embedded modules: '%s'", modules);
  EXPECT(strstr(modules, "common") == NULL, "common.cuh listed as a module: '%s'", modules);

  void *p = NULL;
  EXPECT(ecud_malloc(&p, 16) == ECUD_ERROR_STATE, "malloc before init");
  EXPECT(strstr(ecud_last_error(), "not initialised") != NULL, "message '%s'", ecud_last_error());
  EXPECT(ecud_kernel("memory", "fill_f32", &p) == ECUD_ERROR_STATE, "kernel before init");
  EXPECT(ecud_host_alloc(&p, 16) == ECUD_ERROR_STATE && p == NULL, "pinned allocation before init");
  EXPECT(ecud_upload(0, NULL, NULL, 0) == ECUD_ERROR_STATE, "upload before init");
  EXPECT(ecud_step_begin() == ECUD_ERROR_STATE, "step timing before init");
  ecud_algorithm found[4];
  int returned = -1, dims[4] = {1, 1, 1, 1}, one[2] = {1, 1}, zero[2] = {0, 0};
  EXPECT(ecud_convolution_find(0, ECUD_FLOAT32, 2, dims, dims, dims, zero, one, one, 1, NULL, NULL, NULL, 0, found, 4, &returned) ==
             ECUD_ERROR_STATE && returned == 0, "find before init");
  EXPECT(sizeof(ecud_algorithm) == (sizeof(size_t) == 8 ? 32 : 28), "ecud_algorithm is %d bytes", (int)sizeof(ecud_algorithm));
  EXPECT(ecud_convolution_bias_activation(ECUD_FLOAT32, 2, dims, dims, dims, zero, one, one, 1, NULL, NULL, NULL, NULL, 1, -1, 0, 0) ==
             ECUD_ERROR_STATE, "fused forward before init");
  EXPECT(ecud_set_layout(2) == ECUD_ERROR_ARGUMENT, "an unknown layout");

  char description[2048];
  int status = ecud_load("/nonexistent-cuda-folder", description, sizeof description);
  if (status == ECUD_OK) {
    printf("CUDA libraries present (%s): skipping the no-GPU checks\n", description);
  } else {
    EXPECT(status == ECUD_ERROR_LIBRARY, "load status %d", status);
    EXPECT(strstr(description, "not found (looked for ") != NULL, "load message '%s'", description);
    EXPECT(strcmp(description, ecud_last_error()) == 0, "description '%s' vs last error '%s'", description, ecud_last_error());
    status = ecud_init(0, 1, NULL);
    EXPECT(status == ECUD_ERROR_LIBRARY, "init status %d", status);
    EXPECT(strstr(ecud_last_error(), " not found (looked for ") != NULL, "init message '%s'", ecud_last_error());
  }
  printf("%s\n", failures ? "FAILED" : "passed");
  return failures ? 1 : 0;
}
