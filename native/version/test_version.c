/* Checks engine_native_abi_version(). Does not use assert(): Release builds define NDEBUG. */
#include <stdio.h>

#include "engine_native_version.h"

int main(void)
{
    int version = engine_native_abi_version();
    if (version != 1) {
        fprintf(stderr, "engine_native_abi_version() returned %d, expected 1\n", version);
        return 1;
    }
    if (version != ENGINE_NATIVE_ABI_VERSION) {
        fprintf(stderr, "engine_native_abi_version() returned %d, header says %d\n",
                version, ENGINE_NATIVE_ABI_VERSION);
        return 1;
    }
    printf("engine_native_abi_version() = %d\n", version);
    return 0;
}
