/**
 * A batch sweep of the built-in synthetic model in this process, with no download:
 *   npx tsx examples/api/run-synthetic.ts [RESULT.json]
 * Prints TTFT and ITL medians per config; with a path, the result file is written after each config.
 */
import { InputError, run } from 'tokenbench';

const outputPath = process.argv[2];
try {
  const result = await run(
    { model: 'synthetic:tiny', batch_size: [1, 2], sequence_length: 16, num_tokens_to_generate: 8, warmup_iterations: 1, measurement_iterations: 3, gpu_monitoring: false },
    outputPath ? { outputPath } : {},
  );
  for (const b of result.benchmarks) {
    const s = b.summary;
    console.log(`${b.config.name}: ${b.status}, TTFT p50 ${s?.ttft_ms?.p50.toFixed(2) ?? '-'} ms, ITL p50 ${s?.itl_ms?.p50.toFixed(3) ?? '-'} ms`);
  }
  process.exitCode = result.benchmarks.every((b) => b.status === 'ok') ? 0 : 1;
} catch (err) {
  // bad input: the same one line the CLI prints, before anything ran
  if (err instanceof InputError) {
    console.error(`${err.kind}: ${err.message}`);
    process.exitCode = 2;
  } else throw err;
}
