/**
 * Traffic like production against the scripted server, which logs when each request arrived and its
 * prompt. load --trace: one request per line, sent at the (scaled) timestamps, prompts of exactly
 * the lengths asked whose blocks are shared exactly where the hash ids are; bad traces refused,
 * naming file and line. load --ramp-up: the rate rises as asked before the measured phase, which
 * holds none of the ramp's requests.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { LoadRequestRecord } from '../../src/results/schema.js';
import { readResultWithRecords, runCli, tempDir } from '../helpers.js';
import { type ScriptedRequestLog, type ScriptedServer, startScriptedServer } from '../support/scripted-openai-server.js';

const BLOCK = 512;

interface Line {
  timestamp: number;
  input_length: number;
  output_length: number;
  hash_ids?: number[];
}

/** Twelve lines over 550 ms: blocks shared at the start, in the middle and not at all, a partial last block, lines without ids. */
const LINES: Line[] = [
  { timestamp: 0, input_length: 700, output_length: 4, hash_ids: [1, 2] },
  { timestamp: 40, input_length: 600, output_length: 3, hash_ids: [1, 3] },
  { timestamp: 90, input_length: 300, output_length: 5 },
  { timestamp: 120, input_length: 1024, output_length: 2, hash_ids: [4, 2] },
  { timestamp: 180, input_length: 512, output_length: 3, hash_ids: [1] },
  { timestamp: 240, input_length: 300, output_length: 4 },
  { timestamp: 300, input_length: 900, output_length: 2, hash_ids: [1, 2] },
  { timestamp: 300, input_length: 200, output_length: 3, hash_ids: [5] },
  { timestamp: 380, input_length: 1200, output_length: 2, hash_ids: [6, 7, 8] },
  { timestamp: 430, input_length: 1100, output_length: 3, hash_ids: [6, 7, 9] },
  { timestamp: 500, input_length: 64, output_length: 2 },
  { timestamp: 550, input_length: 513, output_length: 2, hash_ids: [3, 1] },
];

const writeTrace = (lines: readonly (Line | string)[]): string => {
  const path = join(tempDir('tokenbench-trace-'), 'trace.jsonl');
  writeFileSync(path, `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`);
  return path;
};

let server: ScriptedServer;
before(async () => {
  server = await startScriptedServer();
});
after(async () => {
  await server.close();
});

/** Replays `trace` and returns the run's records (by line) and the server's log of those requests. */
async function replay(trace: string, extra: string[] = []): Promise<{ records: LoadRequestRecord[]; logged: ScriptedRequestLog[] }> {
  const before = server.log.length;
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'ttft=3,itl=1', '--no-model-check', '--trace', trace, '--no-store', '--quiet', '--output', out, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.status, 'ok', b?.error?.message);
  const records = (b?.requests ?? []).sort((x, y) => x.index - y.index);
  // the calibration probe comes first; the trace's requests are the last ones the server saw
  const logged = server.log.slice(before).slice(-records.length).sort((x, y) => (BigInt(x.arrived_ns) < BigInt(y.arrived_ns) ? -1 : 1));
  return { records, logged };
}

/** The log entry of each record, by its exact prompt length and arrival order. */
function matchLog(records: readonly LoadRequestRecord[], logged: readonly ScriptedRequestLog[]): ScriptedRequestLog[] {
  // requests arrive in the order they were sent; two lines due at once can swap, so pair by send order
  const bySend = [...records].sort((a, b) => a.t0_ms - b.t0_ms);
  const out: ScriptedRequestLog[] = [];
  bySend.forEach((r, i) => (out[r.index] = logged[i] as ScriptedRequestLog));
  return out;
}

test('trace replay: one request per line at its timestamp, each prompt exactly its length, blocks shared exactly where the hash ids are', async () => {
  const { records, logged } = await replay(writeTrace(LINES));
  assert.equal(records.length, LINES.length);
  const log = matchLog(records, logged);
  for (const [i, line] of LINES.entries()) {
    const r = records[i] as LoadRequestRecord;
    const prompt = log[i]?.prompt as number[];
    assert.ok(Array.isArray(prompt), `line ${i}: sent as token ids`);
    assert.equal(prompt.length, line.input_length, `line ${i}: exactly input_length tokens`);
    assert.equal(r.input_tokens, line.input_length);
    assert.equal(r.max_tokens, line.output_length);
    assert.equal(r.scheduled_ms, line.timestamp, `line ${i}: due at its timestamp`);
    // the server saw it when the schedule said, give or take what the client reports as its send delay
    const arrivedMs = Number(BigInt(log[i]?.arrived_ns as string) - BigInt(log[0]?.arrived_ns as string)) / 1e6;
    const slack = Math.abs((r.dispatch_delay_ms as number) - (records[0]?.dispatch_delay_ms as number)) + 10;
    assert.ok(Math.abs(arrivedMs - line.timestamp) <= slack, `line ${i}: arrived ${arrivedMs.toFixed(1)} ms in, due at ${line.timestamp} (slack ${slack.toFixed(1)})`);
  }
  // block j of a line is its tokens [512 j, 512 (j + 1)): equal wherever the id is, at any position
  const blocks = new Map<number, number[]>();
  for (const [i, line] of LINES.entries()) {
    const prompt = log[i]?.prompt as number[];
    for (const [j, h] of (line.hash_ids ?? []).entries()) {
      const block = prompt.slice(j * BLOCK, (j + 1) * BLOCK);
      if (block.length === 0) continue;
      const seen = blocks.get(h);
      if (!seen || seen.length < block.length) {
        if (seen) assert.deepEqual(block.slice(0, seen.length), seen, `line ${i}: block ${h} as before`);
        blocks.set(h, block);
      } else assert.deepEqual(block, seen.slice(0, block.length), `line ${i}: block ${h} as before (a partial block is its start)`);
    }
  }
  // different ids differ from their first token; lines without ids share no first token with any other line
  const firsts = [...blocks.entries()].map(([h, b]) => [h, b[0]] as const);
  assert.equal(new Set(firsts.map(([, t]) => t)).size, firsts.length, `every block starts differently: ${JSON.stringify(firsts)}`);
  for (const [i, line] of LINES.entries()) {
    if (line.hash_ids) continue;
    const mine = (log[i]?.prompt as number[]).slice(0, 8).join(',');
    for (const [k] of LINES.entries()) if (k !== i) assert.notEqual((log[k]?.prompt as number[]).slice(0, 8).join(','), mine, `line ${i} shares no prefix with line ${k}`);
  }
});

test('trace replay at 10x: the timestamps divided by ten; --requests takes the first lines; --workers 2 sends the same blocks', async () => {
  const fast = await replay(writeTrace(LINES), ['--trace-speed', '10', '--requests', '8']);
  assert.equal(fast.records.length, 8);
  assert.deepEqual(fast.records.map((r) => r.scheduled_ms), LINES.slice(0, 8).map((l) => l.timestamp / 10));

  const before = server.log.length;
  const out = join(tempDir(), 'w.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'ttft=3,itl=1', '--no-model-check', '--trace', writeTrace(LINES), '--workers', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.load?.counts.ok, LINES.length, b?.error?.message);
  // each worker sends every other line: lines 1, 4 and 6 (block 1 first) went from both workers, and
  // share that block (line 0 has it too, but each worker's calibration probe is of its length, 700)
  const withOne = server.log.slice(before).filter((l) => Array.isArray(l.prompt) && [600, 512, 900].includes(l.prompt.length));
  const heads = new Set(withOne.map((l) => (l.prompt as number[]).slice(0, BLOCK).join(',')));
  assert.equal(withOne.length, 3, `the three lines with block 1 first and no other's length were sent (${withOne.length})`);
  assert.equal(heads.size, 1, 'block 1 is the same tokens whichever worker sent it');
});

test('a trace that is not right is bad input: one line naming the file and line, nothing written', async () => {
  const cases: [(Line | string)[], string[], RegExp][] = [
    [['{"input_length": 5, "output_length": 2}'], [], /trace\.jsonl, line 1: timestamp must be a number of ms/],
    [[LINES[1] as Line, LINES[0] as Line], [], /line 2: timestamp 0 is before the line above's 40/],
    [['{"timestamp": 0, "input_length": -3, "output_length": 2}'], [], /line 1: input_length must be an integer >= 1, got -3/],
    [['{"timestamp": 0, "input_length": 3.5, "output_length": 2}'], [], /line 1: input_length must be an integer >= 1, got 3\.5/],
    [['{"timestamp": 0, "input_length": 3, "output_length": 0}'], [], /line 1: output_length must be an integer >= 1, got 0/],
    [['{"timestamp": 0, "input_length": 3, "output_length": 2, "hash_ids": [1, "a"]}'], [], /line 1: hash_ids must be a list of integers >= 0/],
    [['{"timestamp": 0, "input_length": 3, "output_length": 2, "hash_ids": [1.5]}'], [], /line 1: hash_ids must be a list of integers >= 0/],
    [['not json'], [], /line 1: not JSON/],
    [[], [], /no trace lines/],
    [LINES, ['--request-rate', '5'], /--trace gives the requests, their lengths, prompts and arrivals; drop --request-rate/],
    [LINES, ['--input-len', '64'], /drop --input-len/],
    [LINES, ['--requests', '13'], /--requests 13 is more than the trace's 12 lines/],
    [LINES, ['--api', 'chat', '--multi-turn'], /drop --multi-turn/],
  ];
  for (const [lines, extra, message] of cases) {
    const dir = tempDir();
    const res = await runCli(['load', '--url', server.url, '--model', 'm', '--trace', writeTrace(lines), '--output-dir', join(dir, 'out'), '--store', `sqlite:${join(dir, 's.db')}`, ...extra]);
    assert.equal(res.code, 2, `${message}: ${res.stderr}`);
    const out = res.stderr.trim().split('\n');
    assert.equal(out.length, 1, res.stderr);
    assert.match(out[0] as string, message);
    assert.equal(existsSync(join(dir, 'out')) || existsSync(join(dir, 's.db')), false, `${message}: nothing written`);
  }
  const missing = await runCli(['load', '--url', server.url, '--model', 'm', '--trace-speed', '2', '--no-store']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--trace-speed applies to --trace/);
});

test('--ramp-up: the rate rises linearly over the ramp (sent, not measured, and said), then the measured phase at the target', async () => {
  const before = server.log.length;
  const out = join(tempDir(), 'r.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'ttft=3,itl=1', '--no-model-check', '--request-rate', '40', '--arrival', 'constant', '--ramp-up', '1', '--requests', '20', '--warmup-requests', '0', '--input-len', '16', '--output-len', '4', '--no-store', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /ramp: 19 requests over 1 s as the rate rose to the target \(19 ok\), sent before the measured phase and in none of its figures/);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.deepEqual(b?.load?.ramp, { duration_s: 1, requests: 19, ok: 19 });
  assert.equal(b?.config.load?.ramp_up_s, 1);
  assert.equal(b?.requests?.length, 20, 'only the measured requests are records');
  assert.deepEqual(b?.requests?.map((q) => q.scheduled_ms).sort((x, y) => x - y), Array.from({ length: 20 }, (_, k) => k * 25));
  // the server saw the ramp's 19 before the 20, ever denser: constant arrivals at a rate rising to
  // 40/s are due at √(k/20) s, gaps of 92 ms at the start and 26 ms at the end (their order and
  // density are checked, not times, on a machine that may be busy)
  const arrivals = server.log.slice(before).slice(-39).map((l) => BigInt(l.arrived_ns));
  const gaps = arrivals.slice(1, 19).map((t, k) => Number(t - (arrivals[k] as bigint)) / 1e6);
  const mean = (xs: number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
  assert.ok(mean(gaps.slice(0, 5)) > 2 * mean(gaps.slice(-5)), `the ramp's gaps shrink: ${gaps.map((g) => g.toFixed(0)).join(' ')}`);
  // a closed loop has no rate to ramp
  const closed = await runCli(['load', '--url', server.url, '--model', 'm', '--concurrency', '2', '--ramp-up', '5', '--no-store']);
  assert.equal(closed.code, 2);
  assert.match(closed.stderr, /--ramp-up applies to an open loop/);
});

test('several --url values: requests spread over the replicas (round-robin, or to the least in flight), each one\'s figures beside the totals, the model checked at each', async () => {
  const second = await startScriptedServer(0, undefined, ['m']);
  const first = await startScriptedServer(0, undefined, ['m']);
  try {
    const out = join(tempDir(), 'r.json');
    // both serve 'm' (the names listed are checked); the script comes from the model string, so 'm' streams the defaults
    const r = await runCli(['load', '--url', first.url, second.url, '--model', 'm', '--concurrency', '4', '--requests', '20', '--input-len', '16', '--output-len', '4', '--no-store', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const b = (await readResultWithRecords(out)).benchmarks[0];
    assert.deepEqual(b?.config.load?.replicas, { urls: [first.url, second.url], route: 'round-robin' });
    assert.equal(b?.config.engine_options.url, first.url);
    const byReplica = [0, 1].map((i) => b?.requests?.filter((q) => q.replica === i).length);
    assert.deepEqual(byReplica, [10, 10], 'round-robin: one each in turn');
    assert.deepEqual(b?.load?.replicas?.map((x) => [x.url, x.sent, x.ok, x.failed]), [[first.url, 10, 10, 0], [second.url, 10, 10, 0]]);
    assert.ok(b?.load?.replicas?.every((x) => x.ttft_ms !== null && x.request_throughput > 0), 'each replica has its TTFT and throughput');
    assert.match(r.stdout, new RegExp(`concurrency 4 +${second.url.replace(/[.]/g, '\\.')} +10/10`), 'the console prints each replica');
    const html = join(tempDir(), 'r.html');
    assert.equal((await runCli(['report', out, '-o', html])).code, 0);
    const page = readFileSync(html, 'utf8');
    assert.ok(page.includes('<h3>Replicas</h3>') && page.includes(`<td>${second.url}</td><td>10/10</td>`), 'the report has each replica too');

    // least in flight: with two requests in flight, each held 300 ms, each goes to the replica left free
    const slowModel = 'ttft=300,itl=1';
    const fast = join(tempDir(), 'f.json');
    const least = await runCli(['load', '--url', first.url, second.url, '--route', 'least-in-flight', '--model', slowModel, '--no-model-check', '--concurrency', '2', '--requests', '6', '--input-len', '8', '--output-len', '2', '--no-store', '--quiet', '--output', fast]);
    assert.equal(least.code, 0, least.stderr);
    const lb = (await readResultWithRecords(fast)).benchmarks[0];
    assert.deepEqual(lb?.load?.replicas?.map((x) => x.sent), [3, 3], 'two in flight, one at each: the least-loaded is the free one');

    // the model is checked at every replica: one that does not serve it is bad input naming it
    const other = await startScriptedServer(0, undefined, ['not-m']);
    try {
      const bad = await runCli(['load', '--url', first.url, other.url, '--model', 'm', '--no-store']);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, new RegExp(`model 'm' is not served at ${other.url.replace(/[.]/g, '\\.')}`));
    } finally {
      await other.close();
    }
    for (const [extra, message] of [
      [['--url', first.url, first.url], /--url names a server twice/],
      [['--url', first.url, '--route', 'least-in-flight'], /--route spreads requests over several servers; give more than one --url/],
      [['--url', first.url, second.url, '--route', 'random'], /--route must be round-robin or least-in-flight/],
    ] as const) {
      const res = await runCli(['load', ...extra, '--model', 'm', '--no-store']);
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
    }
  } finally {
    await first.close();
    await second.close();
  }
});

const CONVERSATIONS = [
  { conversations: [{ from: 'human', value: 'hello there' }, { from: 'gpt', value: 'the dataset reply, never sent' }, { from: 'human', value: 'second question' }, { from: 'gpt', value: 'x' }, { from: 'human', value: 'third' }] },
  { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'A one' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: 'A two' }] },
  { conversations: [{ from: 'human', value: 'solo' }] },
];

test('--multi-turn: each conversation a session; turn k carries the whole chat with the replies actually received, sent once the last reply ended and the think time passed; figures by turn', async () => {
  const dir = tempDir();
  const dataset = join(dir, 'chats.jsonl');
  writeFileSync(dataset, `${CONVERSATIONS.map((c) => JSON.stringify(c)).join('\n')}\n`);
  const before = server.log.length;
  const out = join(dir, 'r.json');
  const r = await runCli(['load', '--url', server.url, '--api', 'chat', '--model', 'ttft=4,itl=1,tagged=1', '--no-model-check', '--multi-turn', '--dataset', dataset, '--request-rate', '20', '--think-time', '80', '--output-len', '3', '--no-store', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  const records = b?.requests ?? [];
  assert.equal(records.length, 6, 'every turn of every conversation once');
  assert.deepEqual(b?.config.load?.sessions, { source: 'dataset', turns: null, think_time_ms: 80 });
  assert.deepEqual(b?.load?.turns?.map((t) => [t.turn, t.sent, t.ok]), [[0, 3, 3], [1, 2, 2], [2, 1, 1]]);
  assert.deepEqual(b?.load?.sessions && [b.load.sessions.count, b.load.sessions.completed], [3, 3]);
  const logged = server.log.slice(before);
  const byReply = new Map(logged.map((l) => [l.reply as string, l]));
  for (const [i, conv] of CONVERSATIONS.entries()) {
    const turns = records.filter((q) => q.session === i).sort((x, y) => (x.turn as number) - (y.turn as number));
    const users = ('conversations' in conv ? (conv.conversations ?? []).filter((m) => m.from === 'human').map((m) => m.value) : (conv.messages ?? []).filter((m) => m.role === 'user').map((m) => m.content)) as string[];
    assert.equal(turns.length, users.length, `session ${i}: one request per user message`);
    // the server's log of each turn, by the first message that is only in it (its user message, with the history before)
    const sent = turns.map((_, k) => logged.find((l) => l.messages?.at(-1)?.content === users[k] && l.messages?.length === ('messages' in conv ? 1 : 0) + 2 * k + 1));
    const replies: string[] = [];
    for (const [k, l] of sent.entries()) {
      assert.ok(l, `session ${i} turn ${k} reached the server`);
      const want = [
        ...('messages' in conv ? [{ role: 'system', content: 'be brief' }] : []),
        ...users.slice(0, k).flatMap((u, j) => [{ role: 'user', content: u }, { role: 'assistant', content: replies[j] as string }]),
        { role: 'user', content: users[k] as string },
      ];
      assert.deepEqual(l?.messages, want, `session ${i} turn ${k}: the whole chat, the replies received, nothing else`);
      assert.ok(byReply.get(l?.reply as string) === l, 'each reply is its own request\'s');
      replies.push(l?.reply as string);
      if (k > 0) {
        // due when the last reply ended plus the think time, and sent then, within its dispatch delay
        const prev = turns[k - 1] as LoadRequestRecord;
        const mine = turns[k] as LoadRequestRecord;
        assert.ok(Math.abs(mine.scheduled_ms - (prev.t0_ms + (prev.e2e_ms as number) + 80)) < 0.01, `session ${i} turn ${k} due ${mine.scheduled_ms} ms: 80 ms after the reply before it ended`);
        assert.ok((mine.dispatch_delay_ms as number) >= 0 && mine.t0_ms >= mine.scheduled_ms, `session ${i} turn ${k} not sent before its think time passed`);
        const gapMs = Number(BigInt(l?.arrived_ns as string) - BigInt(sent[k - 1]?.written_ns.at(-1) as string)) / 1e6;
        assert.ok(gapMs >= 80 - 1, `session ${i} turn ${k} reached the server ${gapMs.toFixed(1)} ms after the last reply's last write`);
      }
    }
  }
  assert.match(r.stdout, /3 sessions, 3 with every turn ok/);
  const html = join(dir, 'r.html');
  assert.equal((await runCli(['report', out, '-o', html])).code, 0);
  const page = readFileSync(html, 'utf8');
  assert.ok(page.includes('<h3>Turns</h3>') && page.includes('<td>3</td><td>1/1</td>') && page.includes('3 sessions, 3 with every turn ok'), 'the report has the turns and sessions too');
});

test('--multi-turn with synthetic sessions (--turns); a failed turn ends its session, its later turns never sent; bad input refused', async () => {
  const out = join(tempDir(), 's.json');
  const r = await runCli(['load', '--url', server.url, '--api', 'chat', '--model', 'ttft=2,itl=1', '--no-model-check', '--multi-turn', '--turns', '3', '--requests', '4', '--request-rate', '50', '--input-len', '12', '--output-len', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  assert.equal(b?.requests?.length, 12);
  assert.deepEqual(b?.load?.turns?.map((t) => t.ok), [4, 4, 4]);

  const failing = join(tempDir(), 'f.json');
  const f = await runCli(['load', '--url', server.url, '--api', 'chat', '--model', 'fail=status', '--no-model-check', '--multi-turn', '--turns', '3', '--requests', '2', '--request-rate', '50', '--input-len', '8', '--output-len', '2', '--no-store', '--quiet', '--output', failing]);
  assert.equal(f.code, 1, 'no turn succeeded: the value fails');
  const fb = (await readResultWithRecords(failing)).benchmarks[0];
  const c = fb?.load?.counts;
  assert.deepEqual(c && [c.scheduled, c.sent, c.ok, c.failed, c.dropped], [6, 2, 0, 2, 4]);
  assert.deepEqual(fb?.load?.not_sent, { session_ended: 4 });

  const dir = tempDir();
  const prompts = join(dir, 'prompts.jsonl');
  writeFileSync(prompts, '{"prompt": "just one"}\n');
  const chats = join(dir, 'chats.jsonl');
  writeFileSync(chats, `${JSON.stringify(CONVERSATIONS[0])}\n`);
  for (const [extra, message] of [
    [['--multi-turn', '--dataset', chats, '--request-rate', '5'], /--multi-turn sends each turn with the chat so far: add --api chat/],
    [['--api', 'chat', '--multi-turn', '--dataset', prompts, '--request-rate', '5'], /prompts\.jsonl:1: --multi-turn needs a conversation on every line/],
    [['--api', 'chat', '--turns', '3', '--request-rate', '5'], /--turns applies to --multi-turn/],
    [['--api', 'chat', '--multi-turn', '--turns', '2', '--concurrency', '4'], /--multi-turn starts sessions on an open-loop schedule: give --request-rate/],
    [['--api', 'chat', '--multi-turn', '--turns', '2', '--request-rate', '5', '--warmup-requests', '2'], /--multi-turn sends no warmup requests/],
    [['--api', 'chat', '--multi-turn', '--request-rate', '5'], /--multi-turn needs sessions: --dataset FILE with conversations, or --turns N/],
    [['--api', 'chat', '--multi-turn', '--dataset', chats, '--request-rate', '5', '--requests', '2'], /--requests 2 is more than the dataset's 1 conversations/],
  ] as const) {
    const res = await runCli(['load', '--url', server.url, '--model', 'm', '--output-dir', join(dir, 'out'), '--no-store', ...extra]);
    assert.equal(res.code, 2, `${message}: ${res.stderr}`);
    assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
    assert.match(res.stderr, message);
    assert.equal(existsSync(join(dir, 'out')), false, 'nothing written');
  }
});

test('--find-max-rate over a trace: each probe replays the whole trace at the speed that makes its rate, the answer a rate of the trace', async () => {
  const lines = Array.from({ length: 100 }, (_, i) => ({ timestamp: i * 20, input_length: 16, output_length: 6, ...(i % 3 === 0 ? { hash_ids: [i % 4] } : {}) }));
  const out = join(tempDir(), 'c.json');
  const r = await runCli(['load', '--url', server.url, '--model', 'slots=1,ttft=15,itl=2', '--no-model-check', '--trace', writeTrace(lines), '--find-max-rate', '--slo', 'ttft=100ms', '--slo-percentile', '90', '--max-rate-precision', '0.25', '--saturation-concurrency', '8', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const run = await readResultWithRecords(out);
  const c = run.capacity;
  assert.ok(c && ['found', 'holds_at_limit', 'none_holds'].includes(c.status), `a search that ended: ${c?.status}`);
  const base = 99 / (99 * 20 / 1000);
  const probes = run.benchmarks.filter((b) => b.config.load?.mode === 'open');
  assert.ok(probes.length >= 1, `${probes.length} rate probes`);
  assert.match(c?.answer ?? '', /the trace's own arrivals, replayed faster or slower/);
  for (const b of probes) {
    const l = b.config.load;
    assert.equal(l?.arrival, 'trace');
    assert.ok(Math.abs((l?.trace?.speed as number) * base - (l?.request_rate as number)) <= 0.001 * (l?.request_rate as number), `speed ${l?.trace?.speed} gives ${l?.request_rate}/s`);
    assert.equal(b.load?.counts.scheduled, 100, 'the whole trace at each rate');
    // the trace's own gaps, scaled: request k due at 20 k / speed ms
    const scheduled = (b.requests ?? []).map((q) => q.scheduled_ms).sort((x, y) => x - y);
    assert.ok(Math.abs((scheduled[50] as number) - 1000 / (l?.trace?.speed as number)) < 1e-6, 'line 50 due at its timestamp over the speed');
  }
  assert.equal(c?.points.length, run.benchmarks.length);
});

test('--multi-turn over --workers 2: each worker runs its share of the sessions, every turn of every session once, merged', async () => {
  const out = join(tempDir(), 'w.json');
  const r = await runCli(['load', '--url', server.url, '--api', 'chat', '--model', 'ttft=2,itl=1', '--no-model-check', '--multi-turn', '--turns', '2', '--requests', '4', '--request-rate', '40', '--input-len', '8', '--output-len', '2', '--workers', '2', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const b = (await readResultWithRecords(out)).benchmarks[0];
  const turns = (b?.requests ?? []).map((q) => `${q.session}:${q.turn}`).sort();
  assert.deepEqual(turns, ['0:0', '0:1', '1:0', '1:1', '2:0', '2:1', '3:0', '3:1']);
  assert.deepEqual(b?.load?.turns?.map((t) => t.ok), [4, 4], 'figures by turn over both workers');
  assert.deepEqual(b?.load?.sessions && [b.load.sessions.count, b.load.sessions.completed], [4, 4]);
});
