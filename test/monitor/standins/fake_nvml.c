/*
 * Stand-in for libnvidia-ml.so.1: the subset of NVML tokenbench uses, with struct layouts as in
 * nvml.h and scripted values. Environment:
 *   FAKE_NVML_DEVICES=N          device count (default 2)
 *   FAKE_NVML_NOT_SUPPORTED=a,b  queries answering NOT_SUPPORTED: util,memory,power,energy,temperature,clock,processes
 *   FAKE_NVML_LOST_AFTER=N       after N utilisation reads, every device query answers GPU_IS_LOST
 *   FAKE_NVML_INIT_FAIL=1        nvmlInit_v2 answers DRIVER_NOT_LOADED
 *   FAKE_NVML_INIT_CRASH=1       nvmlInit_v2 aborts the process (the monitor dies before it is ready)
 *   FAKE_NVML_CRASH_AFTER=N      the N-th utilisation read aborts the process (a driver that takes its caller down)
 *   FAKE_NVML_PROC_PID=PID       the pid listed as running with 512 MiB (default: the caller's parent)
 * Values: util 40 + 10*i %, used (1 + i) GiB of 80 GiB, power 100 + i W, energy counter rising at
 * that power on CLOCK_MONOTONIC (so joules = watts * seconds), 50 + i C, 1980 MHz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int nvmlReturn_t;
typedef struct { int index; } device_t;
typedef device_t *nvmlDevice_t;
typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;
typedef struct { unsigned int pid; unsigned long long usedGpuMemory; unsigned int gpuInstanceId; unsigned int computeInstanceId; } nvmlProcessInfo_t;

enum { OK = 0, UNINITIALIZED = 1, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3, INSUFFICIENT_SIZE = 7, DRIVER_NOT_LOADED = 9, GPU_IS_LOST = 15 };

static device_t devices[16];
static int initialized = 0;
static long util_reads = 0;
static double start_s = 0;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int count(void) {
  const char *v = getenv("FAKE_NVML_DEVICES");
  int n = v ? atoi(v) : 2;
  return n < 0 ? 0 : n > 16 ? 16 : n;
}

static int unsupported(const char *what) {
  const char *v = getenv("FAKE_NVML_NOT_SUPPORTED");
  if (!v) return 0;
  char buf[256];
  snprintf(buf, sizeof buf, ",%s,", v);
  char key[64];
  snprintf(key, sizeof key, ",%s,", what);
  return strstr(buf, key) != NULL;
}

static int lost(void) {
  const char *v = getenv("FAKE_NVML_LOST_AFTER");
  return v && util_reads >= atol(v);
}

static nvmlReturn_t guard(nvmlDevice_t d, const char *what) {
  if (!initialized) return UNINITIALIZED;
  if (!d) return INVALID_ARGUMENT;
  if (lost()) return GPU_IS_LOST;
  if (unsupported(what)) return NOT_SUPPORTED;
  return OK;
}

nvmlReturn_t nvmlInit_v2(void) {
  if (getenv("FAKE_NVML_INIT_CRASH")) abort();
  if (getenv("FAKE_NVML_INIT_FAIL")) return DRIVER_NOT_LOADED;
  initialized = 1;
  start_s = now_s();
  for (int i = 0; i < 16; i++) devices[i].index = i;
  return OK;
}

nvmlReturn_t nvmlShutdown(void) { initialized = 0; return OK; }

const char *nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
    case OK: return "Success";
    case UNINITIALIZED: return "Uninitialized";
    case NOT_SUPPORTED: return "Not Supported";
    case DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n) {
  if (!initialized) return UNINITIALIZED;
  *n = count();
  return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d) {
  if (!initialized) return UNINITIALIZED;
  if ((int)i >= count()) return INVALID_ARGUMENT;
  *d = &devices[i];
  return OK;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int len) {
  snprintf(buf, len, "580.00-fake");
  return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *buf, unsigned int len) {
  snprintf(buf, len, "Fake NVIDIA H100 %d", d->index);
  return OK;
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *buf, unsigned int len) {
  snprintf(buf, len, "GPU-fake-0000-%04d", d->index);
  return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u) {
  nvmlReturn_t r = guard(d, "util");
  util_reads++;
  const char *crash = getenv("FAKE_NVML_CRASH_AFTER");
  if (crash && util_reads >= atol(crash)) abort();
  if (r) return r;
  u->gpu = 40 + 10 * d->index;
  u->memory = 20;
  return OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m) {
  nvmlReturn_t r = guard(d, "memory");
  if (r) return r;
  m->total = 80ULL << 30;
  m->used = (unsigned long long)(1 + d->index) << 30;
  m->free = m->total - m->used;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *mw) {
  nvmlReturn_t r = guard(d, "power");
  if (r) return r;
  *mw = (100 + d->index) * 1000;
  return OK;
}

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *mj) {
  nvmlReturn_t r = guard(d, "energy");
  if (r) return r;
  *mj = 1000000ULL + (unsigned long long)((now_s() - start_s) * (100 + d->index) * 1000.0);
  return OK;
}

nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t d, int sensor, unsigned int *t) {
  nvmlReturn_t r = guard(d, "temperature");
  if (r) return r;
  if (sensor != 0) return INVALID_ARGUMENT;
  *t = 50 + d->index;
  return OK;
}

nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t d, int type, unsigned int *mhz) {
  nvmlReturn_t r = guard(d, "clock");
  if (r) return r;
  if (type != 1) return INVALID_ARGUMENT;
  *mhz = 1980;
  return OK;
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *n, nvmlProcessInfo_t *infos) {
  nvmlReturn_t r = guard(d, "processes");
  if (r) return r;
  if (*n < 2) { *n = 2; return INSUFFICIENT_SIZE; }
  const char *pid = getenv("FAKE_NVML_PROC_PID");
  infos[0].pid = 1;
  infos[0].usedGpuMemory = 64ULL << 20;
  infos[0].gpuInstanceId = infos[0].computeInstanceId = 0xFFFFFFFF;
  infos[1].pid = pid ? (unsigned int)atoi(pid) : (unsigned int)getppid();
  infos[1].usedGpuMemory = 512ULL << 20;
  infos[1].gpuInstanceId = infos[1].computeInstanceId = 0xFFFFFFFF;
  *n = 2;
  return OK;
}
