/**
 * How exact are tokenbench's HTTP stamps? Against the scripted server in its own process, which
 * logs when it wrote each chunk on the same clock (CLOCK_MONOTONIC is system-wide):
 *   - receive delay per chunk: client stamp - server write, at 1, 64 and 256 concurrent streams;
 *   - the floor: bare sockets with no HTTP parser, at the same concurrency, in the same run;
 *   - the server's own lag (write - schedule), reported beside it, never counted against the client;
 *   - t0 placement: tokenbench's t0 (just before the request is written) against a t0 taken before
 *     the burst of requests is set up (where vLLM's benchmark client takes it), in the same run;
 *   - client CPU per token and the token rate the client sustained;
 *   - each in both client modes: sleeping between reads (the default) and busy polling (--busy-poll),
 *     the floor measured in the same mode;
 *   - a client that stamps where vLLM's serving benchmark does (bench/vllm-style-client.py, Python
 *     and aiohttp), against the same server in the same run, when python3 has aiohttp.
 *
 *   npx tsx bench/http-stamp-accuracy.ts [--streams 1,64,256] [--itl 10,10,100] [--tokens 64] [--rounds-events 4000] [--modes sleep,busy]
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { holdLoopAwake } from '../src/http/busy-poll.js';
import { OpenAiClient, type RequestResult } from '../src/http/openai-client.js';
import { summarize } from '../src/results/statistics.js';
import { flag } from './common.js';
import { startServerProcess } from './scripted-server-process.js';

const streamsList = flag('streams', '1,64,256').split(',').map(Number);
const tokens = Number(flag('tokens', '64'));
/** ITL per stream count (one value: the same for all); the default keeps 256 streams at ~2.5k chunks/s. */
const itlList = flag('itl', '10,10,100').split(',').map(Number);
const itlFor = (i: number): number => (itlList[Math.min(i, itlList.length - 1)] as number);
const ttft = Number(flag('ttft', '20'));
const eventsWanted = Number(flag('rounds-events', '4000'));
const modes = flag('modes', 'sleep,busy').split(',');

const server = await startServerProcess();

/**
 * The floor: bare sockets that write one request each by hand and stamp each 'data' event, with
 * no HTTP parser, against the same server at the same concurrency. What they see is the machine's
 * own delay (wake-ups, scheduling, the server's write bursts), which no client can beat.
 */
async function bareSocketDelays(model: string, n: number, streams: number): Promise<number[]> {
  const { hostname, port } = new URL(server.url);
  const body = JSON.stringify({ model, prompt: [1, 2, 3], max_tokens: n, stream: true, logprobs: 1 });
  const one = (): Promise<{ id: string; stamps: bigint[] }> =>
    new Promise((resolve, reject) => {
      const stamps: bigint[] = [];
      let pending = '';
      let id = '';
      const socket = connect(Number(port), hostname, () => {
        socket.write(`POST /v1/completions HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      });
      socket.on('data', (b: Buffer) => {
        const at = process.hrtime.bigint();
        pending += b.toString('latin1');
        for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (event.includes('data: [DONE]')) {
            socket.destroy();
            resolve({ id, stamps });
            return;
          }
          if (!event.includes('data: {')) continue;
          id ||= /"id":"([^"]+)"/.exec(event)?.[1] ?? '';
          stamps.push(at);
        }
      });
      socket.on('error', reject);
    });
  const runs = await Promise.all(Array.from({ length: streams }, one));
  const log = new Map((await server.log()).map((e) => [e.id, e]));
  return runs.flatMap(({ id, stamps }) => {
    const entry = log.get(id);
    return entry ? stamps.map((at, j) => Number(at - BigInt(entry.written_ns[j] as string)) / 1e6) : [];
  });
}

/** A python3 that has aiohttp (Debian's python3-aiohttp), or null. */
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import aiohttp']).status === 0) ?? null;

interface PythonRequest {
  id: string | null;
  t0_ns: string;
  stamps_ns: string[];
}

/** The vLLM-style client's row: the same columns, from its own t0 and stamps. */
async function vllmStyleRow(streams: number, itl: number, rounds: number): Promise<string[]> {
  const script = new URL('./vllm-style-client.py', import.meta.url).pathname;
  const run = spawnSync(python as string, [script, server.url, `ttft=${ttft},itl=${itl}`, String(streams), String(tokens), String(rounds)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`vllm-style client: ${run.stderr}`);
  const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as PythonRequest & { cpu_s?: number; wall_s?: number });
  const totals = lines.pop() as { cpu_s: number; wall_s: number };
  const log = new Map((await server.log()).map((e) => [e.id, e]));
  const delays: number[] = [];
  const sendErr: number[] = [];
  const ttftErr: number[] = [];
  let ok = 0;
  let tokenCount = 0;
  for (const r of lines) {
    const entry = log.get(r.id ?? '');
    if (!entry || r.stamps_ns.length !== entry.written_ns.length) continue;
    ok++;
    tokenCount += entry.tokens.reduce((a, b) => a + b, 0);
    r.stamps_ns.forEach((s, j) => delays.push(Number(BigInt(s) - BigInt(entry.written_ns[j] as string)) / 1e6));
    const t0 = BigInt(r.t0_ns);
    const serverTtft = Number(BigInt(entry.written_ns[0] as string) - BigInt(entry.arrived_ns)) / 1e6;
    ttftErr.push(Number(BigInt(r.stamps_ns[0] as string) - t0) / 1e6 - serverTtft);
    sendErr.push(Number(BigInt(entry.arrived_ns) - t0) / 1e6);
  }
  const d = summarize(delays);
  const sr = summarize(sendErr);
  const o = summarize(ttftErr);
  return [`${streams}: vLLM-style client (Python aiohttp)`, String(itl), String(ok), String(delays.length), `${fmt(d?.p50)} / ${fmt(d?.p99)} / ${fmt(d?.max)}`, '-', `${fmt(sr?.p50)} / ${fmt(sr?.p99)}`, `${fmt(o?.p50)} / ${fmt(o?.p99)}`, '-', ((totals.cpu_s * 1e6) / tokenCount).toFixed(2), (tokenCount / totals.wall_s).toFixed(0)];
}

const fmt = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(3));
const rows: string[][] = [];

try {
  for (const [si, streams] of streamsList.entries()) for (const mode of modes) {
    const busyPoll = mode === 'busy';
    const label = `${streams}${busyPoll ? ', busy poll' : ''}`;
    const itl = itlFor(si);
    const rounds = Math.max(2, Math.ceil(eventsWanted / (streams * tokens)));
    const floor: number[] = [];
    const release = busyPoll ? holdLoopAwake() : null;
    for (let i = 0; i < rounds; i++) floor.push(...(await bareSocketDelays(`ttft=${ttft},itl=${itl}`, tokens, streams)));
    release?.();
    const f = summarize(floor);
    rows.push([`${label}: bare sockets (the floor)`, String(itl), String(rounds * streams), String(floor.length), `${fmt(f?.p50)} / ${fmt(f?.p99)} / ${fmt(f?.max)}`, '-', '-', '-', '-', '-', '-']);
    const client = new OpenAiClient(
      { url: server.url, model: `ttft=${ttft},itl=${itl}`, api: 'completions', apiKey: null, ignoreEos: true, logprobs: true, usage: true, idleTimeoutMs: 60_000, totalTimeoutMs: 600_000, busyPoll },
      streams,
    );
    const prompt = { ids: Array.from({ length: 32 }, (_, i) => 100 + i) };
    // warmup round: opens every connection of the pool
    await Promise.all(Array.from({ length: streams }, () => client.send(prompt, 4)));
    await server.log();
    const results: { r: RequestResult; burstT0: bigint }[] = [];
    const cpu0 = process.cpuUsage();
    const wall0 = process.hrtime.bigint();
    for (let round = 0; round < rounds; round++) {
      const burstT0 = process.hrtime.bigint(); // where a client that stamps before setting up the burst takes t0
      const batch = await Promise.all(Array.from({ length: streams }, () => client.send(prompt, tokens)));
      for (const r of batch) results.push({ r, burstT0 });
    }
    const wallS = Number(process.hrtime.bigint() - wall0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    const log = new Map((await server.log()).map((e) => [e.id, e]));
    await client.close();

    const delays: number[] = [];
    const lags: number[] = [];
    const sendErr: number[] = [];
    const ttftErrOurs: number[] = [];
    const ttftErrBurst: number[] = [];
    let failures = 0;
    let tokenCount = 0;
    for (const { r, burstT0 } of results) {
      const entry = log.get(r.reading.responseId ?? '');
      if (r.reading.failure || !entry || r.exchange.t0 === null) {
        failures++;
        continue;
      }
      tokenCount += r.reading.outputTokens;
      const events = r.reading.eventArrivals;
      for (const [j, arrival] of events.entries()) {
        const written = BigInt(entry.written_ns[j] as string);
        delays.push(Number((r.exchange.arrivals[arrival] as bigint) - written) / 1e6);
        lags.push(Number(written - BigInt(entry.scheduled_ns[j] as string)) / 1e6);
      }
      // server-side TTFT: request fully read -> first token written; the client's TTFT minus that is the client's error
      const serverTtft = Number(BigInt(entry.written_ns[0] as string) - BigInt(entry.arrived_ns)) / 1e6;
      const firstArrival = r.exchange.arrivals[events[0] as number] as bigint;
      ttftErrOurs.push(Number(firstArrival - r.exchange.t0) / 1e6 - serverTtft);
      ttftErrBurst.push(Number(firstArrival - burstT0) / 1e6 - serverTtft);
      sendErr.push(Number(BigInt(entry.arrived_ns) - r.exchange.t0) / 1e6);
    }
    const d = summarize(delays);
    const l = summarize(lags);
    const sr = summarize(sendErr);
    const o = summarize(ttftErrOurs);
    const b = summarize(ttftErrBurst);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    rows.push([
      `${label}: tokenbench`,
      String(itl),
      String(results.length - failures),
      String(delays.length),
      `${fmt(d?.p50)} / ${fmt(d?.p99)} / ${fmt(d?.max)}`,
      `${fmt(l?.p50)} / ${fmt(l?.p99)}`,
      `${fmt(sr?.p50)} / ${fmt(sr?.p99)}`,
      `${fmt(o?.p50)} / ${fmt(o?.p99)}`,
      `${fmt(b?.p50)} / ${fmt(b?.p99)}`,
      ((cpuMs * 1000) / tokenCount).toFixed(2),
      (tokenCount / wallS).toFixed(0),
    ]);
    process.stderr.write(`streams ${label}: done (${failures} failed)\n`);
    if (python !== null && mode === modes[modes.length - 1]) rows.push(await vllmStyleRow(streams, itl, rounds));
  }
  if (python === null) process.stderr.write('no python3 with aiohttp (Debian: python3-aiohttp): the vLLM-style client was not run\n');
} finally {
  server.stop();
}

const header = ['streams', 'itl ms', 'requests', 'chunks', 'receive delay ms p50/p99/max', 'server lag ms p50/p99', 'send to server read ms p50/p99', 'TTFT error, own t0 ms p50/p99', 'TTFT error, t0 before burst ms p50/p99', 'client CPU us/token', 'tokens/s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
console.log(`\nscript: ttft=${ttft} ms, ${tokens} tokens per request, all streams of a round started together; receive delay = client stamp - server write (same clock);
send to server read = t0 to the server having read the whole request (part of every TTFT error: the server's queue, not the client);
own t0: tokenbench's is taken just before the request is written, the vLLM-style client's when its task starts (before it connects)`);
