/**
 * Busy polling: while held, the event loop never sleeps. An idle client sleeps in the kernel
 * between reads, and waking it when bytes arrive costs what the OS and hypervisor take to schedule
 * it (on a VM, 0.1 ms typically and over 1 ms at the tail), time that lands in every stamp. A chain
 * of setImmediate callbacks makes each loop turn poll the network without blocking, so a read is
 * stamped within one turn of its arrival, at the price of one CPU core while held.
 */
let holders = 0;
let spinning = false;

function turn(): void {
  if (holders > 0) setImmediate(turn);
  else spinning = false;
}

/** Keeps the event loop polling without sleeping until the returned release is called (once). */
export function holdLoopAwake(): () => void {
  holders++;
  if (!spinning) {
    spinning = true;
    setImmediate(turn);
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holders--;
  };
}
