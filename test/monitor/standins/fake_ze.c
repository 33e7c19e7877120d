/*
 * Stand-in for libze_loader.so.1: the Level Zero Sysman subset tokenbench uses, with the struct
 * layouts of ze_api.h / zes_api.h.
 *   FAKE_ZE_DEVICES=N             devices (default 1)
 *   FAKE_ZE_NOT_SUPPORTED=a       energy,memory answer ZE_RESULT_ERROR_UNSUPPORTED_FEATURE
 * Values: the ALL engine group is active 60 % of the time (activeTime advances 0.6 us per us of
 * its timestamp), memory 16 GiB of which 4 GiB + i used, energy rising at 80 W on CLOCK_MONOTONIC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint32_t ze_result_t;
#define OK 0
#define UNSUPPORTED 0x78000003u
#define INVALID 0x78000004u

typedef struct { uint32_t stype; void *pNext; uint32_t type; uint32_t vendorId, deviceId, flags, subdeviceId, coreClockRate;
  uint64_t maxMemAllocSize; uint32_t maxHardwareContexts, maxCommandQueuePriority, numThreadsPerEU, physicalEUSimdWidth,
  numEUsPerSubslice, numSubslicesPerSlice, numSlices; uint64_t timerResolution; uint32_t timestampValidBits,
  kernelTimestampValidBits; uint8_t uuid[16]; char name[256]; } ze_device_properties_t;
typedef struct { uint32_t stype; void *pNext; ze_device_properties_t core; uint32_t numSubdevices; char serialNumber[64],
  boardNumber[64], brandName[64], modelName[64], vendorName[64], driverVersion[64]; } zes_device_properties_t;
typedef struct { uint32_t stype; void *pNext; uint32_t type; uint8_t onSubdevice; uint32_t subdeviceId; } zes_engine_properties_t;
typedef struct { uint64_t activeTime; uint64_t timestamp; } zes_engine_stats_t;
typedef struct { uint32_t stype; void *pNext; uint32_t health; uint64_t free; uint64_t size; } zes_mem_state_t;
typedef struct { uint64_t energy; uint64_t timestamp; } zes_power_energy_counter_t;

typedef struct { int index; int kind; } handle_t; /* kind: 0 device, 1 engine ALL, 2 engine COMPUTE, 3 memory, 4 power */
static handle_t handles[16][5];
static int driver = 1;
static int initialized = 0;

static int count(void) { const char *v = getenv("FAKE_ZE_DEVICES"); int n = v ? atoi(v) : 1; return n > 16 ? 16 : n; }
static int unsupported(const char *w) { const char *v = getenv("FAKE_ZE_NOT_SUPPORTED"); return v && strstr(v, w); }
static uint64_t now_us(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return ts.tv_sec * 1000000ull + ts.tv_nsec / 1000; }

ze_result_t zesInit(uint32_t flags) {
  (void)flags;
  for (int i = 0; i < 16; i++) for (int k = 0; k < 5; k++) { handles[i][k].index = i; handles[i][k].kind = k; }
  initialized = 1;
  return OK;
}
static ze_result_t fill(uint32_t *n, void **out, void **items, uint32_t total) {
  if (!initialized) return INVALID;
  if (out) for (uint32_t i = 0; i < total && i < *n; i++) out[i] = items[i];
  *n = total;
  return OK;
}
ze_result_t zesDriverGet(uint32_t *n, void **out) { void *d[1] = {&driver}; return fill(n, out, d, 1); }
ze_result_t zesDeviceGet(void *drv, uint32_t *n, void **out) {
  if (drv != &driver) return INVALID;
  void *d[16];
  for (int i = 0; i < count(); i++) d[i] = &handles[i][0];
  return fill(n, out, d, count());
}
ze_result_t zesDeviceGetProperties(void *dev, zes_device_properties_t *p) {
  handle_t *h = dev;
  if (p->stype != 0x1 || p->core.stype != 0x3) return INVALID;
  p->numSubdevices = 0;
  p->core.vendorId = 0x8086;
  for (int i = 0; i < 16; i++) p->core.uuid[i] = (uint8_t)(i == 15 ? h->index : 0xab);
  snprintf(p->core.name, sizeof p->core.name, "Fake Intel Data Center GPU Max %d", h->index);
  snprintf(p->driverVersion, sizeof p->driverVersion, "1.3.29735-fake");
  snprintf(p->modelName, sizeof p->modelName, "Fake Max 1550");
  return OK;
}
ze_result_t zesDeviceEnumEngineGroups(void *dev, uint32_t *n, void **out) {
  handle_t *h = dev;
  void *e[2] = {&handles[h->index][2], &handles[h->index][1]}; /* COMPUTE first, then ALL */
  return fill(n, out, e, 2);
}
ze_result_t zesEngineGetProperties(void *engine, zes_engine_properties_t *p) {
  handle_t *h = engine;
  if (p->stype != 0x5) return INVALID;
  p->type = h->kind == 1 ? 0 : 1;
  p->onSubdevice = 0;
  p->subdeviceId = 0;
  return OK;
}
ze_result_t zesEngineGetActivity(void *engine, zes_engine_stats_t *s) {
  (void)engine;
  uint64_t t = now_us();
  s->timestamp = t;
  s->activeTime = t / 10 * 6;
  return OK;
}
ze_result_t zesDeviceEnumMemoryModules(void *dev, uint32_t *n, void **out) {
  handle_t *h = dev;
  void *m[1] = {&handles[h->index][3]};
  return fill(n, out, m, 1);
}
ze_result_t zesMemoryGetState(void *mem, zes_mem_state_t *s) {
  handle_t *h = mem;
  if (unsupported("memory")) return UNSUPPORTED;
  if (s->stype != 0x1e) return INVALID;
  s->health = 1;
  s->size = 16ull << 30;
  s->free = s->size - (4ull << 30) - (uint64_t)h->index;
  return OK;
}
ze_result_t zesDeviceEnumPowerDomains(void *dev, uint32_t *n, void **out) {
  handle_t *h = dev;
  void *p[1] = {&handles[h->index][4]};
  return fill(n, out, p, 1);
}
ze_result_t zesPowerGetEnergyCounter(void *pwr, zes_power_energy_counter_t *e) {
  (void)pwr;
  if (unsupported("energy")) return UNSUPPORTED;
  uint64_t t = now_us();
  e->timestamp = t;
  e->energy = t * 80; /* 80 W = 80 uJ per us */
  return OK;
}
