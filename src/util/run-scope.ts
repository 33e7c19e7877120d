/**
 * What a run keeps for all its configs (a browser the browser engine's configs share): made when a
 * config first asks, shared by the configs after it, and closed when the run ends. Without a scope
 * (a library caller running one engine by hand) each config makes and closes its own.
 */
interface Kept {
  value: Promise<unknown>;
  close: (value: never) => Promise<void>;
}

export class RunScope {
  private readonly kept = new Map<string, Kept>();
  private closed = false;

  /** The thing kept under `key`: made by `make` on the first ask (again if making failed), then shared. */
  async keep<T>(key: string, make: () => Promise<T>, close: (value: T) => Promise<void>): Promise<T> {
    if (this.closed) throw new Error('run scope used after the run ended');
    const held = this.kept.get(key);
    if (held) return held.value as Promise<T>;
    const value = make();
    this.kept.set(key, { value, close });
    try {
      return await value;
    } catch (err) {
      // a failed start is not kept: the next config tries again
      if (this.kept.get(key)?.value === value) this.kept.delete(key);
      throw err;
    }
  }

  /** Closes and forgets what `key` kept (it died, say); the next keep() makes a new one. */
  async drop(key: string): Promise<void> {
    const held = this.kept.get(key);
    if (!held) return;
    this.kept.delete(key);
    await closeKept(held);
  }

  /** Closes everything kept, in the order it was made; the scope takes nothing after. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.kept.values()];
    this.kept.clear();
    for (const held of all) await closeKept(held);
  }
}

/** Closes a kept thing if it was made at all; closing is best effort (the thing may be dead already). */
async function closeKept(held: Kept): Promise<void> {
  const value = await held.value.catch(() => undefined);
  if (value !== undefined) await held.close(value as never).catch(() => undefined);
}
