/**
 * llama.cpp's real `llama-server` for tests and benches: built once from the source node-llama-cpp
 * ships (build-llama-server.sh, cached), started on loopback with a synthetic GGUF and default
 * settings (prompt cache on), stopped by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultCacheDir } from '../../src/synth/cache.js';
import { writeLlamaGguf } from '../../src/synth/llama-gguf.js';
import { PRESETS } from '../../src/synth/shape.js';
import { freePort } from '../helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The llama-server binary, built on first use (a few minutes; progress on stderr). */
export function llamaServerBinary(): string {
  const out = execFileSync('bash', [join(root, 'test/support/build-llama-server.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 40 * 60_000 });
  const path = out.trim().split('\n').pop() ?? '';
  if (!existsSync(path)) throw new Error(`build-llama-server.sh printed no binary (${out.trim()})`);
  return path;
}

/** A synthetic GGUF of a preset (random weights, f16), written once under the cache. */
export function syntheticGguf(preset: 'tiny' | 'small' = 'tiny'): string {
  const dir = join(defaultCacheDir(), 'llama-server-models');
  const path = join(dir, `${preset}-f16.gguf`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeLlamaGguf(tmp, PRESETS[preset] as NonNullable<(typeof PRESETS)[string]>, 0, 'f16');
    execFileSync('mv', [tmp, path]);
  }
  return path;
}

export interface LlamaServer {
  /** Base URL of the OpenAI API, http://127.0.0.1:PORT/v1 */
  url: string;
  origin: string;
  /** The name it serves the model under (the GGUF path). */
  model: string;
  process: ChildProcess;
  /** Its log so far (stderr and stdout). */
  log(): string;
  stop(): Promise<void>;
}

export interface LlamaServerOptions {
  parallel: number;
  threads?: number;
  preset?: 'tiny' | 'small';
  /** A GGUF file to serve instead of the preset's. */
  model?: string;
  /** Extra command-line arguments. */
  args?: string[];
}

/** Starts llama-server on a free loopback port and waits until /health says ok. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const binary = llamaServerBinary();
  const model = options.model ?? syntheticGguf(options.preset ?? 'tiny');
  const port = await freePort();
  const args = ['-m', model, '--host', '127.0.0.1', '--port', String(port), '--parallel', String(options.parallel), '--threads', String(options.threads ?? 1), ...(options.args ?? [])];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log.slice(-2000)}`);
    try {
      const res = await fetch(`${origin}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`llama-server not healthy after 60 s:\n${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `${origin}/v1`, origin, model, process: child, log: () => log, stop };
}
