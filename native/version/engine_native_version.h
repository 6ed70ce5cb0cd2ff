#ifndef ENGINE_NATIVE_VERSION_H
#define ENGINE_NATIVE_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of the engine's native components. Bumped whenever an exported function or a
   structure shared with the managed side changes incompatibly. */
#define ENGINE_NATIVE_ABI_VERSION 1

/* Returns ENGINE_NATIVE_ABI_VERSION as compiled into the library. */
int engine_native_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ENGINE_NATIVE_VERSION_H */
