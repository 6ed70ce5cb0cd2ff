/* The shim's own CUDA C kernels: sources embedded at build time (the .cu files of kernels/, each prefixed with
 * kernels/common.cuh), compiled by NVRTC for the device's architecture on first use, cached on disk
 * by a hash of source, architecture and NVRTC version, and loaded as driver-API modules. */
#include "shim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
#include <process.h>
#define getpid _getpid
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

typedef struct loaded_module {
  char name[64];
  ec_CUmodule module;
  struct loaded_module *next;
} loaded_module;

static loaded_module *modules;

/* Kernels resolved so far: ecud_kernel hands them out again without touching the driver, also while
 * the stream is captured (the shim's own casts resolve theirs at every call; GPU run 5 refused bf16's
 * first capture over that). */
typedef struct resolved_kernel {
  char module[64];
  char name[128];
  void *function;
  struct resolved_kernel *next;
} resolved_kernel;

static resolved_kernel *resolved;

void ecud_kernels_release(void) {
  while (resolved) {
    resolved_kernel *next = resolved->next;
    free(resolved);
    resolved = next;
  }
  while (modules) {
    loaded_module *next = modules->next;
    ecud_g.drv.cuModuleUnload(modules->module);
    free(modules);
    modules = next;
  }
}

static const char *find_source(const char *name) {
  for (int i = 0; i < ecud_embedded_source_count; i++)
    if (strcmp(ecud_embedded_sources[i].name, name) == 0) return ecud_embedded_sources[i].text;
  return NULL;
}

const char *ecud_kernel_modules(void) {
  static char list[1024];
  if (list[0]) return list;
  for (int i = 0; i < ecud_embedded_source_count; i++) {
    if (strcmp(ecud_embedded_sources[i].name, "common") == 0) continue;
    if (list[0]) strncat(list, ";", sizeof list - strlen(list) - 1);
    strncat(list, ecud_embedded_sources[i].name, sizeof list - strlen(list) - 1);
  }
  return list;
}

static unsigned long long fnv1a(unsigned long long h, const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) h = (h ^ (unsigned char)text[i]) * 1099511628211ull;
  return h;
}

static char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long length = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *data = length > 0 ? (char *)malloc((size_t)length) : NULL;
  if (data && fread(data, 1, (size_t)length, f) != (size_t)length) { free(data); data = NULL; }
  fclose(f);
  *size = data ? (size_t)length : 0;
  return data;
}

/* Written to a unique temporary name and renamed, so a concurrent reader never sees half a file. */
static void write_file(const char *path, const char *data, size_t size) {
  char temporary[1200];
  snprintf(temporary, sizeof temporary, "%s.%d.tmp", path, (int)getpid());
  FILE *f = fopen(temporary, "wb");
  if (!f) return;
  int ok = fwrite(data, 1, size, f) == size;
  ok = fclose(f) == 0 && ok;
  if (!ok || rename(temporary, path) != 0) remove(temporary);
}

static int compile(const char *name, const char *source, int cc_major, int cc_minor, char **cubin, size_t *cubin_size) {
  int major = 0, minor = 0;
  ecud_g.rtc.nvrtcVersion(&major, &minor);
  char arch[32];
  snprintf(arch, sizeof arch, "--gpu-architecture=sm_%d%d", cc_major, cc_minor);
  const char *options[] = {arch, "--std=c++17", "-default-device"};

  unsigned long long h = 14695981039346656037ull;
  h = fnv1a(h, source, strlen(source));
  h = fnv1a(h, arch, strlen(arch));
  char version[32];
  snprintf(version, sizeof version, "nvrtc%d.%d", major, minor);
  h = fnv1a(h, version, strlen(version));
  char cached[1200] = "";
  if (ecud_g.kernel_cache[0]) {
    snprintf(cached, sizeof cached, "%s/%s-sm%d%d-%016llx.cubin", ecud_g.kernel_cache, name, cc_major, cc_minor, h);
    *cubin = read_file(cached, cubin_size);
    if (*cubin) return ECUD_OK;
  }

  char program_name[96];
  snprintf(program_name, sizeof program_name, "%s.cu", name);
  ec_nvrtcProgram program = NULL;
  int result = ecud_g.rtc.nvrtcCreateProgram(&program, source, program_name, 0, NULL, NULL);
  if (result != EC_NVRTC_SUCCESS)
    return ecud_fail(ECUD_ERROR_NVRTC, "NVRTC: nvrtcCreateProgram(%s) failed: %s", program_name, ecud_g.rtc.nvrtcGetErrorString(result));
  result = ecud_g.rtc.nvrtcCompileProgram(program, (int)(sizeof options / sizeof options[0]), options);
  if (result != EC_NVRTC_SUCCESS) {
    size_t log_size = 0;
    ecud_g.rtc.nvrtcGetProgramLogSize(program, &log_size);
    char *log = (char *)calloc(log_size + 1, 1);
    if (log) ecud_g.rtc.nvrtcGetProgramLog(program, log);
    int status = ecud_fail(ECUD_ERROR_NVRTC, "NVRTC: compiling kernels/%s for %s failed: %s", program_name, arch + 20, log ? log : "(no log)");
    free(log);
    ecud_g.rtc.nvrtcDestroyProgram(&program);
    return status;
  }
  ecud_g.rtc.nvrtcGetCUBINSize(program, cubin_size);
  *cubin = (char *)malloc(*cubin_size);
  if (!*cubin) { ecud_g.rtc.nvrtcDestroyProgram(&program); return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory"); }
  ecud_g.rtc.nvrtcGetCUBIN(program, *cubin);
  ecud_g.rtc.nvrtcDestroyProgram(&program);
  if (cached[0]) {
#if !defined(_WIN32)
    mkdir(ecud_g.kernel_cache, 0755); /* the managed side creates parents; this covers the last level */
#endif
    write_file(cached, *cubin, *cubin_size);
  }
  return ECUD_OK;
}

/* common.cuh + the module, with #line so that NVRTC's messages name the module's own lines. */
static int module_source(const char *name, char **source) {
  const char *body = find_source(name);
  const char *common = find_source("common");
  if (!body || !common || strcmp(name, "common") == 0)
    return ecud_fail(ECUD_ERROR_ARGUMENT, "no kernel module named '%s' is embedded (have: %s)", name, ecud_kernel_modules());
  size_t length = strlen(common) + strlen(body) + 64;
  *source = (char *)malloc(length);
  if (!*source) return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory");
  snprintf(*source, length, "%s\n#line 1 \"%s.cu\"\n%s", common, name, body);
  return ECUD_OK;
}

int ecud_compile_check(const char *name, int cc_major, int cc_minor) {
  ECUD_TRY(ecud_load_nvrtc(NULL));
  char *source = NULL;
  ECUD_TRY(module_source(name, &source));
  char *cubin = NULL;
  size_t cubin_size = 0;
  char saved_cache[sizeof ecud_g.kernel_cache];
  memcpy(saved_cache, ecud_g.kernel_cache, sizeof saved_cache);
  ecud_g.kernel_cache[0] = 0; /* always compile: this is a check */
  int status = compile(name, source, cc_major, cc_minor, &cubin, &cubin_size);
  memcpy(ecud_g.kernel_cache, saved_cache, sizeof saved_cache);
  free(source);
  free(cubin);
  return status;
}

static int load_module(const char *name, ec_CUmodule *module) {
  for (loaded_module *m = modules; m; m = m->next)
    if (strcmp(m->name, name) == 0) { *module = m->module; return ECUD_OK; }
  char *source = NULL;
  ECUD_TRY(module_source(name, &source));
  char *cubin = NULL;
  size_t cubin_size = 0;
  int status = compile(name, source, ecud_g.cc_major, ecud_g.cc_minor, &cubin, &cubin_size);
  free(source);
  if (status != ECUD_OK) return status;
  status = ecud_check_driver(ecud_g.drv.cuModuleLoadData(module, cubin), "cuModuleLoadData");
  free(cubin);
  if (status != ECUD_OK) return status;
  loaded_module *m = (loaded_module *)calloc(1, sizeof *m);
  if (!m) return ecud_fail(ECUD_ERROR_MEMORY, "out of host memory");
  snprintf(m->name, sizeof m->name, "%s", name);
  m->module = *module;
  m->next = modules;
  modules = m;
  return ECUD_OK;
}

int ecud_kernel(const char *module_name, const char *name, void **function) {
  ECUD_TRY(ecud_require_init());
  for (resolved_kernel *r = resolved; r; r = r->next)
    if (strcmp(r->module, module_name) == 0 && strcmp(r->name, name) == 0) {
      *function = r->function;
      return ECUD_OK;
    }
  /* Compiling, loading (and, with lazy loading, resolving) a kernel may allocate device memory:
   * every kernel a captured step uses is resolved before the capture (its warm-up steps). */
  ECUD_TRY(ecud_refuse_in_capture("ecud_kernel (resolving a kernel not used before the capture)"));
  ec_CUmodule module;
  ECUD_TRY(load_module(module_name, &module));
  ec_CUresult result = ecud_g.drv.cuModuleGetFunction((ec_CUfunction *)function, module, name);
  if (result != EC_CUDA_SUCCESS) return ecud_fail(ECUD_ERROR_ARGUMENT, "kernel module '%s' has no kernel '%s' (error %d)", module_name, name, result);
  resolved_kernel *r = (resolved_kernel *)calloc(1, sizeof *r);
  if (r && strlen(module_name) < sizeof r->module && strlen(name) < sizeof r->name) {
    memcpy(r->module, module_name, strlen(module_name) + 1);
    memcpy(r->name, name, strlen(name) + 1);
    r->function = *function;
    r->next = resolved;
    resolved = r;
  } else {
    free(r); /* not remembered: resolved again next time */
  }
  return ECUD_OK;
}

int ecud_launch(void *function, unsigned grid, unsigned block, unsigned shared_bytes, void **arguments) {
  ECUD_TRY(ecud_require_init());
  if (grid == 0) return ECUD_OK;
  return ecud_check_driver(ecud_g.drv.cuLaunchKernel((ec_CUfunction)function, grid, 1, 1, block, 1, 1, shared_bytes, ecud_g.stream, arguments, NULL),
                           "cuLaunchKernel");
}
