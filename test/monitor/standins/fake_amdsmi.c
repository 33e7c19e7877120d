/*
 * Stand-in for libamd_smi.so: the subset tokenbench uses, with amdsmi.h's struct layouts.
 *   FAKE_AMDSMI_DEVICES=N        GPUs on one socket (default 1)
 *   FAKE_AMDSMI_VERSION=old|new  old: version {year 23, major 4, ...} and the uint32 power_info of
 *                                ROCm <= 6.1; new (default): version {24, 6, 3} and the ROCm 6.2+ layout
 *   FAKE_AMDSMI_NOT_SUPPORTED=a  power,energy,temperature,activity,vram answer NOT_SUPPORTED
 * Values: gfx 30 + i %, VRAM used 2048 + i MB of 196592 MB (reported in MB), power 250 + i W,
 * edge 45 C, energy accumulator rising 15.3 uJ per count at that power.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef int amdsmi_status_t;
typedef void *amdsmi_socket_handle;
typedef void *amdsmi_processor_handle;
enum { OK = 0, INVAL = 1, NOT_SUPPORTED = 2, NOT_INIT = 32 };

typedef struct { uint32_t gfx_activity, umc_activity, mm_activity; uint32_t reserved[13]; } amdsmi_engine_usage_t;
typedef struct { uint32_t vram_total; uint32_t vram_used; uint32_t reserved[2]; } amdsmi_vram_usage_t;
typedef struct {
  uint32_t current_socket_power, average_socket_power, gfx_voltage, soc_voltage, mem_voltage, power_limit;
  uint32_t reserved[11];
} power_info_old_t;
typedef struct {
  uint64_t socket_power;
  uint32_t current_socket_power, average_socket_power;
  uint64_t gfx_voltage, soc_voltage, mem_voltage;
  uint32_t power_limit;
  uint64_t reserved[18];
} power_info_new_t;
typedef struct { uint32_t year, major, minor, release; const char *build; } version_old_t;
typedef struct { uint32_t major, minor, release; const char *build; } version_new_t;

static int initialized = 0;
static int gpu_ids[16];
static int socket_id = 0;
static double start_s;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
static int count(void) { const char *v = getenv("FAKE_AMDSMI_DEVICES"); return v ? atoi(v) : 1; }
static int is_old(void) { const char *v = getenv("FAKE_AMDSMI_VERSION"); return v && strcmp(v, "old") == 0; }
static int unsupported(const char *what) {
  const char *v = getenv("FAKE_AMDSMI_NOT_SUPPORTED");
  return v && strstr(v, what) != NULL;
}
static int index_of(amdsmi_processor_handle h) { return *(int *)h; }

amdsmi_status_t amdsmi_init(uint64_t flags) {
  if (!(flags & 2)) return INVAL;
  initialized = 1;
  start_s = now_s();
  for (int i = 0; i < 16; i++) gpu_ids[i] = i;
  return OK;
}
amdsmi_status_t amdsmi_shut_down(void) { initialized = 0; return OK; }
amdsmi_status_t amdsmi_status_code_to_string(amdsmi_status_t s, const char **text) {
  *text = s == NOT_SUPPORTED ? "AMDSMI_STATUS_NOT_SUPPORTED" : s == NOT_INIT ? "AMDSMI_STATUS_NOT_INIT" : "AMDSMI_STATUS_INVAL";
  return OK;
}
amdsmi_status_t amdsmi_get_lib_version(void *out) {
  if (is_old()) { version_old_t v = {23, 4, 0, 0, "23.4.0"}; memcpy(out, &v, sizeof v); }
  else { version_new_t v = {24, 6, 3, "24.6.3"}; memcpy(out, &v, sizeof v); }
  return OK;
}
amdsmi_status_t amdsmi_get_socket_handles(uint32_t *n, amdsmi_socket_handle *handles) {
  if (!initialized) return NOT_INIT;
  if (handles && *n >= 1) handles[0] = &socket_id;
  *n = 1;
  return OK;
}
amdsmi_status_t amdsmi_get_processor_handles(amdsmi_socket_handle s, uint32_t *n, amdsmi_processor_handle *handles) {
  if (!initialized || s != &socket_id) return INVAL;
  int c = count();
  if (handles) for (int i = 0; i < c && i < (int)*n; i++) handles[i] = &gpu_ids[i];
  *n = c;
  return OK;
}
amdsmi_status_t amdsmi_get_gpu_asic_info(amdsmi_processor_handle h, char *info) {
  snprintf(info, 64, "Fake AMD Instinct MI300X %d", index_of(h));
  return OK;
}
amdsmi_status_t amdsmi_get_gpu_device_uuid(amdsmi_processor_handle h, unsigned int *len, char *uuid) {
  snprintf(uuid, *len, "fake-amd-uuid-%04d", index_of(h));
  return OK;
}
amdsmi_status_t amdsmi_get_gpu_driver_info(amdsmi_processor_handle h, char *info) {
  (void)h;
  snprintf(info, 64, "6.8.5-fake");
  return OK;
}
amdsmi_status_t amdsmi_get_gpu_activity(amdsmi_processor_handle h, amdsmi_engine_usage_t *u) {
  if (unsupported("activity")) return NOT_SUPPORTED;
  memset(u, 0, sizeof *u);
  u->gfx_activity = 30 + index_of(h);
  return OK;
}
amdsmi_status_t amdsmi_get_gpu_vram_usage(amdsmi_processor_handle h, amdsmi_vram_usage_t *v) {
  if (unsupported("vram")) return NOT_SUPPORTED;
  v->vram_total = 196592;
  v->vram_used = 2048 + index_of(h);
  return OK;
}
amdsmi_status_t amdsmi_get_power_info(amdsmi_processor_handle h, void *out) {
  if (unsupported("power")) return NOT_SUPPORTED;
  uint32_t w = 250 + index_of(h);
  if (is_old()) {
    power_info_old_t p;
    memset(&p, 0, sizeof p);
    p.current_socket_power = w;
    p.average_socket_power = w;
    p.gfx_voltage = 900;
    memcpy(out, &p, sizeof p);
  } else {
    power_info_new_t p;
    memset(&p, 0, sizeof p);
    p.socket_power = UINT64_MAX; /* not reported on this card: a reader of the wrong layout gets no power */
    p.current_socket_power = w;
    p.average_socket_power = 0xFFFFFFFF;
    p.gfx_voltage = 900;
    memcpy(out, &p, sizeof p);
  }
  return OK;
}
amdsmi_status_t amdsmi_get_temp_metric(amdsmi_processor_handle h, int sensor, int metric, int64_t *t) {
  (void)h;
  if (unsupported("temperature")) return NOT_SUPPORTED;
  if (sensor != 0 || metric != 0) return INVAL;
  *t = 45;
  return OK;
}
amdsmi_status_t amdsmi_get_energy_count(amdsmi_processor_handle h, uint64_t *acc, float *resolution, uint64_t *stamp) {
  if (unsupported("energy")) return NOT_SUPPORTED;
  double uj = 5e8 + (now_s() - start_s) * (250 + index_of(h)) * 1e6;
  *resolution = 15.3f;
  *acc = (uint64_t)(uj / 15.3);
  *stamp = (uint64_t)(now_s() * 1e9);
  return OK;
}
