/* NCCL is optional: the shim opens libnccl only when asked (ecud_nccl_load), refuses the other NCCL
 * calls before that, and without the library fails with one message naming what it looked for.
 * Skipped (77) on a machine that has NCCL. */
#include "ecud.h"

#include <stdio.h>
#include <string.h>

#include "expect.h"

int main(void) {
  unsigned char id[ECUD_NCCL_ID_BYTES];
  EXPECT(ecud_nccl_unique_id(id) == ECUD_ERROR_STATE, "unique id before ecud_nccl_load");
  EXPECT(strstr(ecud_last_error(), "ecud_nccl_load") != NULL, "message '%s'", ecud_last_error());
  void *communicator = NULL;
  EXPECT(ecud_nccl_init(&communicator, 1, id, 0) == ECUD_ERROR_STATE && communicator == NULL, "init before ecud_nccl_load");

  char description[2048];
  int status = ecud_nccl_load("/nonexistent-nccl-folder", description, sizeof description);
  if (status == ECUD_OK) {
    printf("SKIP: this machine has NCCL (%s)\n", description);
    return 77;
  }
  EXPECT(status == ECUD_ERROR_LIBRARY, "status %d", status);
  EXPECT(strstr(description, "NCCL 2 not found") != NULL, "description '%s'", description);
  EXPECT(strstr(description, "libnccl.so.2") != NULL, "description '%s'", description);
  EXPECT(strcmp(description, ecud_last_error()) == 0, "description '%s' vs last error '%s'", description, ecud_last_error());
  /* Still refused after the failed load (nothing half-loaded is used). */
  EXPECT(ecud_nccl_unique_id(id) == ECUD_ERROR_STATE, "unique id after a failed load");
  if (failures) return 1;
  printf("nccl without library: ok (%s)\n", description);
  return 0;
}
