/**
 * V8's memory reducer held off: two real Node processes with V8's own GC trace, each allocating
 * much and then little, as a load client does (prompts and warm-up, then waiting on streams); the
 * one that did not hold it off shows the reducer's collections some 8 s in (what makes the test
 * mean something), the one that did shows none.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, tempDir } from '../helpers.js';

/** The child's GC trace: it allocates ~60 MB that it keeps a moment, then idles 11 s allocating a little. */
function gcTrace(script: string, hold: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--trace-gc', '--import', 'tsx', script, hold ? 'hold' : 'no'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${out.slice(-500)}`))));
  });
}

test('a process that held the memory reducer off runs none of its collections once it allocates little; one that did not, does', { timeout: 60_000 }, async () => {
  const script = join(tempDir(), 'reducer.mts');
  writeFileSync(
    script,
    `import { holdOffMemoryReducer } from ${JSON.stringify(join(ROOT, 'src/load/memory-reducer.ts'))};
if (process.argv[2] === 'hold') holdOffMemoryReducer();
let kept = [];
for (let i = 0; i < 600; i++) kept.push(new Array(12_500).fill(i));
kept = null;
let small = [];
const tick = setInterval(() => { small = Array.from({ length: 100 }, (_, i) => ({ i })); }, 50);
setTimeout(() => { clearInterval(tick); process.stdout.write('END ' + small.length + '\\n'); }, 11_000);`,
  );
  const [held, free] = await Promise.all([gcTrace(script, true), gcTrace(script, false)]);
  for (const out of [held, free]) assert.match(out, /END 100/, 'the child ran to its end');
  assert.match(free, /Mark-Compact \(reduce\)/, `without it, V8's memory reducer collected: ${free.slice(-600)}`);
  assert.doesNotMatch(held, /\(reduce\)/, `held off, no reducing collection: ${held.slice(-600)}`);
});
