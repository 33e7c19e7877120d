/** Loads a vendor library with koffi; the error names the library. */
import koffi from 'koffi';

export function loadLibrary(path: string): koffi.IKoffiLib {
  try {
    return koffi.load(path);
  } catch (err) {
    throw new Error(`${path}: ${(err instanceof Error ? err.message : String(err)).replace(/^Failed to load shared library: /, '')}`);
  }
}
