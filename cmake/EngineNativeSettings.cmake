# Settings shared by every native target of the engine (native/ and, later, native/cudnn_shim).
# Include it right after project(): it sets the language standard, position-independent code,
# the default build type and the warning flags (warnings are errors on every compiler).
include_guard(GLOBAL)

# Default build type for single-configuration generators (Makefiles, Ninja). Multi-configuration
# generators (Visual Studio, Ninja Multi-Config) pick the configuration at build time instead.
get_property(_engine_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT _engine_multi_config AND NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING
      "Build type (Debug, Release, RelWithDebInfo, MinSizeRel)" FORCE)
  set_property(CACHE CMAKE_BUILD_TYPE PROPERTY STRINGS Debug Release RelWithDebInfo MinSizeRel)
endif()
unset(_engine_multi_config)

# Plain ISO C11, no compiler extensions.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)

# Static libraries end up inside shared objects (the shim is loaded by .NET at run time).
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

# Warnings, as errors. MSVC is also true for clang-cl, which takes the MSVC-style flags.
if(MSVC)
  add_compile_options(/W4 /WX)
elseif(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
  add_compile_options(-Wall -Wextra -Werror)
else()
  message(WARNING "engine_native: unknown C compiler '${CMAKE_C_COMPILER_ID}'; no warning flags set")
endif()
