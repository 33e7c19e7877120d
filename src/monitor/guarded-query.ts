/** Shared by the vendor samplers: queries a device refused once are not asked again; C strings. */

/** Remembers, per device, the queries the driver answered NOT_SUPPORTED. */
export class GuardedQueries {
  private readonly refused = new Map<number, Set<string>>();

  constructor(
    private readonly codes: { success: number; notSupported: number; ignored?: readonly number[] },
    /** Throws for any other code (a lost device, a driver error). */
    private readonly fail: (code: number, what: string) => void,
  ) {}

  /** Runs `call` unless `device` refused `name` before; `onSuccess` reads its outputs. */
  run(device: number, name: string, call: () => number, onSuccess: () => void): void {
    let skip = this.refused.get(device);
    if (skip?.has(name)) return;
    const code = call();
    if (code === this.codes.success) onSuccess();
    else if (code === this.codes.notSupported) {
      if (!skip) this.refused.set(device, (skip = new Set()));
      skip.add(name);
    } else if (!this.codes.ignored?.includes(code)) this.fail(code, name);
  }
}

/** The NUL-terminated string at the start of `buf`; null when empty. */
export function cString(buf: Uint8Array): string | null {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end)) || null;
}
