/**
 * The scripted OpenAI server in its own process, so that a bench's client and server do not share
 * an event loop (on a real deployment they never do).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ScriptedRequestLog } from '../test/support/scripted-openai-server.js';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** The server's write log (and clears it, so the next call returns only what came after). */
  log(): Promise<ScriptedRequestLog[]>;
  stop(): void;
}

export function startServerProcess(): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('../test/support/scripted-openai-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (!out.includes('\n') || !line) return;
      const { url } = JSON.parse(line) as { url: string };
      const origin = url.replace(/\/v1$/, '');
      resolve({
        url,
        child,
        log: async () => (await (await fetch(`${origin}/_log?clear=1`)).json()) as ScriptedRequestLog[],
        stop: () => child.kill(),
      });
    });
  });
}
