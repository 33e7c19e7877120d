/**
 * V8's memory reducer, kept out of load runs. Some 8 s after a program has allocated much and then
 * allocates little (a load client: prompts and warm-up, then waiting on streams), V8 runs up to three
 * full collections to give memory back. Each pauses the event loop (5-15 ms here, so stamps are late
 * by as much) and discards the optimised code that refers to objects dead by then, which after the
 * warm-up is most of the client's per-chunk code, recompiled in the measured phase: on llama-server
 * at four streams a 40-request run cost the client 10.3-11.6 ms of CPU a request with them and
 * 5.8-7.6 without (bench/client-cpu.ts, docs/metrics.md). V8 starts these collections only through
 * incremental marking, so a process that runs a load benchmark runs without it from then on: a full
 * collection the heap's growth calls for still runs, in one pause, which the event-loop lag shows.
 */
import { setFlagsFromString } from 'node:v8';

/** Turns incremental marking off for the rest of this process (again: no change). */
export function holdOffMemoryReducer(): void {
  setFlagsFromString('--no-incremental-marking');
}
