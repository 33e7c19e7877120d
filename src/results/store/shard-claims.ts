/**
 * A part of a sharded job (run or load --shard) claims its index in the store before it runs, on a
 * connection of its own, and beats while it runs: a second process started for the same part of the
 * same group is refused instead of measuring it twice. A claim whose process died on this host, or
 * that has not beaten for CLAIM_STALE_MS (a machine lost), is taken over, so a resubmitted part runs.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Shard } from '../../config/shard.js';
import { InputError } from '../../util/errors.js';
import { ResultStore, type ShardClaim } from './store.js';

/** A claim not heard from for this long is taken over (its beats come every CLAIM_BEAT_MS). */
export const CLAIM_STALE_MS = 120_000;
const CLAIM_BEAT_MS = 15_000;

/** Whether process `pid` of this host is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `shard` of `group` for `command` in the store at `url`; returns what gives it up. A part that another live process holds is an InputError. */
export async function claimShard(url: string, group: string, command: string, shard: Shard): Promise<() => Promise<void>> {
  const store = await ResultStore.open(url);
  const holder = { id: randomUUID(), host: hostname(), pid: process.pid };
  const gone = (c: ShardClaim): boolean => c.host === holder.host && c.pid !== holder.pid && !alive(c.pid);
  let other: ShardClaim | null;
  try {
    other = await store.claimShard(group, command, shard, holder, CLAIM_STALE_MS, gone);
  } catch (err) {
    await store.close();
    throw err;
  }
  if (other) {
    await store.close();
    throw new InputError(
      'usage',
      `${command}: part ${shard.index}/${shard.count} of group ${group} is being run by process ${other.pid} on ${other.host} (heard from ${(other.age_ms / 1000).toFixed(0)} s ago); one part runs once at a time. Its claim is taken over once that process has died, or after ${CLAIM_STALE_MS / 1000} s without a sign of it`,
    );
  }
  const beat = setInterval(() => void store.beatShard(group, command, shard.index, holder).catch(() => undefined), CLAIM_BEAT_MS);
  beat.unref();
  return async () => {
    clearInterval(beat);
    await store.releaseShard(group, command, shard.index, holder).catch(() => undefined);
    await store.close().catch(() => undefined);
  };
}
