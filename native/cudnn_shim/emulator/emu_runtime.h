// What the generated module files (emulated_<module>.cpp) and the emulator (emulator.cpp) share:
// the table of kernels per module and the launch template that unpacks ecud_launch's void**
// argument array with each kernel's real parameter types, checks every slot, and runs the grid.
#ifndef ECUD_EMU_RUNTIME_H
#define ECUD_EMU_RUNTIME_H

#include <cstddef>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

// Implemented in emulator.cpp.
void ecud_emu_syncthreads();
void *ecud_emu_dynamic_shared();
// Each returns ECUD_OK or an ecud status with the message set (naming the launched kernel).
int ecud_emu_missing_argument(int index, int count);
int ecud_emu_extra_argument(int count);
int ecud_emu_check_pointer(int index, const char *type, const void *pointer, size_t alignment);
int ecud_emu_check_int32(int index, const char *type, const void *slot);
int ecud_emu_check_int64(int index, const void *slot);
int ecud_emu_check_double(int index, const void *slot);
// Runs the launch's grid, calling thread(context) once per (block, thread).
int ecud_emu_run(void (*thread)(void *), void *context);

struct ecud_emu_kernel {
  const char *name;
  int (*launch)(void **arguments); // unpacks, checks, runs
};
struct ecud_emu_module {
  const char *name;
  const ecud_emu_kernel *kernels;
  int count;
  int cooperative; // the module calls __syncthreads somewhere: blocks may need concurrent threads
};

template <typename T> const char *ecud_emu_type_name() {
  if constexpr (std::is_pointer_v<T>) {
    using E = std::remove_cv_t<std::remove_pointer_t<T>>;
    if constexpr (std::is_same_v<E, float>) return "float*";
    else if constexpr (std::is_same_v<E, double>) return "double*";
    else if constexpr (std::is_same_v<E, int>) return "int*";
    else return "pointer";
  } else if constexpr (std::is_same_v<T, int>) return "int";
  else if constexpr (std::is_same_v<T, unsigned>) return "unsigned";
  else return "scalar";
}

// One parameter: read sizeof(T) bytes from its slot (as cuLaunchKernel does) and check the slot.
template <typename T> int ecud_emu_read(int index, int count, void *slot, T &out) {
  if (!slot) return ecud_emu_missing_argument(index, count);
  std::memcpy(&out, slot, sizeof(T));
  if constexpr (std::is_pointer_v<T>) {
    using E = std::remove_cv_t<std::remove_pointer_t<T>>;
    size_t alignment = 1;
    if constexpr (!std::is_void_v<E>) alignment = alignof(E);
    return ecud_emu_check_pointer(index, ecud_emu_type_name<T>(), (const void *)out, alignment);
  } else if constexpr (std::is_same_v<T, double>) {
    return ecud_emu_check_double(index, slot);
  } else if constexpr (std::is_integral_v<T> && sizeof(T) == 4) {
    return ecud_emu_check_int32(index, ecud_emu_type_name<T>(), slot);
  } else if constexpr (std::is_same_v<T, long long>) {
    return ecud_emu_check_int64(index, slot);
  } else {
    return 0; // u64 (seeds: any bits) and others
  }
}

template <typename... P> struct ecud_emu_invoker {
  using function = void (*)(P...);
  struct context {
    function f;
    std::tuple<P...> *values;
  };
  static void thread(void *c) {
    context *x = (context *)c;
    std::apply(x->f, *x->values);
  }
  template <size_t... I> static int launch(function f, void **arguments, std::index_sequence<I...>) {
    std::tuple<P...> values{};
    int status = 0;
    const int count = (int)sizeof...(P);
    ((status = status ? status : ecud_emu_read<P>((int)I, count, arguments[I], std::get<I>(values))), ...);
    if (status) return status;
    // The managed launcher ends the array with a null entry: anything else there is one too many.
    if (arguments[sizeof...(P)] != nullptr) return ecud_emu_extra_argument(count);
    context c{f, &values};
    return ecud_emu_run(&thread, &c);
  }
};

template <typename F> struct ecud_emu_signature;
template <typename... P> struct ecud_emu_signature<void (*)(P...)> {
  using invoker = ecud_emu_invoker<P...>;
  static constexpr size_t count = sizeof...(P);
};

// The launch entry of kernel F.
template <auto F> int ecud_emu_launch_of(void **arguments) {
  using signature = ecud_emu_signature<decltype(F)>;
  return signature::invoker::launch(F, arguments, std::make_index_sequence<signature::count>{});
}

#endif
