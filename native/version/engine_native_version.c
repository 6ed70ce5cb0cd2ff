#include "engine_native_version.h"

int engine_native_abi_version(void)
{
    return ENGINE_NATIVE_ABI_VERSION;
}
