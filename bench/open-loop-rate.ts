/**
 * Does an open-loop load run send at its target rate? `tokenbench load` against the scripted server
 * in its own process, at --rate requests/s for --duration seconds (constant and Poisson arrivals):
 * achieved rate vs target (and vs the drawn schedule's own rate), dispatch delay, late requests,
 * client CPU per token and event-loop lag.
 *
 *   npx tsx bench/open-loop-rate.ts [--rate 200] [--duration 30] [--output-len 16] [--busy-poll]
 */
import { LOAD_FLAGS, loadConfigs } from '../src/cli/load.js';
import { parseArgs } from '../src/cli/args.js';
import { runLoadBenchmark } from '../src/load/load-benchmark.js';
import { flag } from './common.js';
import { startServerProcess } from './scripted-server-process.js';

const rate = flag('rate', '200');
const duration = flag('duration', '30');
const outputLen = flag('output-len', '16');
const busyPoll = process.argv.includes('--busy-poll');
const server = await startServerProcess();
const silent = { start: () => undefined, request: () => undefined, end: () => undefined, message: (t: string) => process.stderr.write(`${t}\n`) };
try {
  for (const arrival of ['constant', 'poisson']) {
    const argv = ['--url', server.url, '--model', 'ttft=20,itl=5', '--request-rate', rate, '--arrival', arrival, '--duration', duration, '--input-len', '64', '--output-len', outputLen, '--seed', '1', ...(busyPoll ? ['--busy-poll'] : [])];
    const [config] = loadConfigs(parseArgs(argv, LOAD_FLAGS, 'load'));
    if (!config) throw new Error('no config');
    const b = await runLoadBenchmark(config, { progress: silent });
    await server.log(); // drop the server's log as we go
    const l = b.load;
    if (!l) throw new Error(`${b.status}: ${b.error?.message}`);
    const d = l.stats.dispatch_delay_ms;
    console.log(
      [
        `${arrival}${busyPoll ? ', busy poll' : ''}: target ${l.target_rate}/s`,
        `schedule ${l.schedule_rate?.toFixed(2)}/s`,
        `achieved ${l.achieved_rate?.toFixed(2)}/s (${(((l.achieved_rate as number) / (l.target_rate as number) - 1) * 100).toFixed(2)}% vs target, ${(((l.achieved_rate as number) / (l.schedule_rate as number) - 1) * 100).toFixed(2)}% vs schedule)`,
        `sent ${l.counts.sent}/${l.counts.scheduled}, ok ${l.counts.ok}, late(>${config.load.late_ms} ms) ${l.counts.late}, dropped ${l.counts.dropped}`,
        `dispatch delay ms p50 ${d?.p50.toFixed(3)} p99 ${d?.p99.toFixed(3)} max ${d?.max.toFixed(3)}`,
        `client CPU ${l.client.cpu_us_per_token?.toFixed(1)} us/token, loop lag p99 ${l.client.event_loop_lag_ms.p99.toFixed(2)} ms`,
        `TTFT p50 ${b.summary?.ttft_ms?.p50.toFixed(2)} ms, TPOT p50 ${b.summary?.itl_ms?.p50.toFixed(2)} ms`,
      ].join('\n  '),
    );
  }
} finally {
  server.stop();
}
