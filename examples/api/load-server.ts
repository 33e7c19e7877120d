/**
 * A concurrency sweep against an OpenAI-compatible server, then the most users at once it serves
 * with TTFT under 500 ms for 90% of requests, and the HTML report of the sweep:
 *   npx tsx examples/api/load-server.ts URL MODEL [REPORT.html]
 */
import { writeFileSync } from 'node:fs';
import { load, type LoadProgress, report } from 'tokenbench';

const [url, model, reportPath] = process.argv.slice(2);
if (!url || !model) {
  console.error('usage: load-server.ts URL MODEL [REPORT.html]');
  process.exit(2);
}

// progress events as the run goes: one line per value
const progress: LoadProgress = {
  start: (index, total, name) => console.error(`[${index + 1}/${total || '?'}] ${name}`),
  request: () => {},
  end: (b) => console.error(`  ${b.status}`),
  message: (text) => console.error(`  ${text}`),
};

const sweep = await load({ url, model, concurrency: [1, 4], requests: 20, input_len: 32, output_len: 8, slo: { ttft_ms: 500 } }, { progress });
for (const b of sweep.benchmarks) {
  const l = b.load;
  console.log(`${b.config.name}: ${l?.counts.ok}/${l?.counts.scheduled} ok, ${l?.output_throughput.toFixed(0)} output tok/s, goodput ${((l?.goodput?.fraction ?? 0) * 100).toFixed(0)}%`);
}

const search = await load({ url, model, requests: 20, input_len: 32, output_len: 8, slo: { ttft_ms: 500 }, capacity: { search: 'concurrency', percentile: 90, saturation_concurrency: 8 } });
console.log(search.capacity?.answer);

if (reportPath) writeFileSync(reportPath, await report(sweep));
