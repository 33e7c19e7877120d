/**
 * The truth a capacity search is checked against: a FIFO queue in front of K slots (the scripted
 * server's slots=K), simulated over the very arrival schedule a probe sends.
 */
import { arrivalSchedule } from '../../src/load/arrivals.js';
import { quantileSorted } from '../../src/results/statistics.js';

/** Each request's wait for a slot (ms), for arrivals `atMs` (ascending) and a fixed service time. */
export function slotWaits(atMs: readonly number[], slots: number, serviceMs: number): number[] {
  const free = Array.from({ length: slots }, () => 0);
  return atMs.map((a) => {
    // the slot that frees first takes the next request in arrival order
    let k = 0;
    for (let j = 1; j < slots; j++) if ((free[j] as number) < (free[k] as number)) k = j;
    const start = Math.max(a, free[k] as number);
    free[k] = start + serviceMs;
    return start - a;
  });
}

export interface SlotServer {
  slots: number;
  /** From getting a slot to freeing it. */
  serviceMs: number;
  /** From getting a slot to the first token reaching the client. */
  firstTokenMs: number;
}

/** The q-quantile of TTFT (from when due) over a Poisson probe of `requests` at `rate`, drawn as the search draws it. */
export function simulatedTtftQuantile(server: SlotServer, rate: number, requests: number, seed: number, q: number): number {
  const at = arrivalSchedule({ rate, arrival: 'poisson', burstiness: 1, seed, requests, durationS: null, exactRate: true });
  const ttft = slotWaits(at, server.slots, server.serviceMs).map((w) => w + server.firstTokenMs).sort((a, b) => a - b);
  return quantileSorted(ttft, q);
}

/** The highest rate (to 0.1%) at which the simulated TTFT quantile stays within `limitMs`: the capacity the search should find. */
export function simulatedMaxRate(server: SlotServer, limitMs: number, requests: number, seed: number, q: number): number {
  let lo = 0;
  let hi = (server.slots * 1000) / server.serviceMs;
  while (hi - lo > lo * 0.001 + 1e-9) {
    const mid = (lo + hi) / 2;
    if (simulatedTtftQuantile(server, mid, requests, seed, q) <= limitMs) lo = mid;
    else hi = mid;
  }
  return lo;
}
