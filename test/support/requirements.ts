/**
 * Real components a test needs from the machine (PostgreSQL, Chromium, a compiler, root to mount a
 * file system). Outside CI a test whose component is missing skips, saying why; with CI set (as
 * CI does) it runs and fails first thing, naming what is missing: CI never goes green untested.
 */
export interface Requirement {
  /** What the test needs, for the message. */
  what: string;
  /** Why it is not here (and how to get it), or null when it is. */
  missing: string | null;
}

export interface RequirementGate {
  /** node:test options: a skip reason outside CI when something is missing. */
  options: { skip: string | false };
  /** Throws, naming what is missing; call it first in the test (or a describe block's `before`). */
  check(): void;
}

/** The gate for a test that needs all of `requirements`. */
export function needs(...requirements: Requirement[]): RequirementGate {
  const missing = requirements.filter((r) => r.missing !== null);
  const why = missing.map((r) => `${r.what}: ${r.missing}`).join('; ');
  return {
    options: { skip: missing.length > 0 && !process.env.CI ? why : false },
    check(): void {
      if (missing.length > 0) throw new Error(`missing in CI, so this test fails instead of skipping: ${why}`);
    },
  };
}
