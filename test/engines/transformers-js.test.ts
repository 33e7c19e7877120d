import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandConfigs } from '../../src/config/sweep.js';
import { TransformersJsEngine } from '../../src/engines/transformers-js.js';
import { exactLengthRows } from '../../src/measure/inputs.js';
import { TokenStamper } from '../../src/measure/streamer.js';
import { TEST_CACHE_DIR } from '../helpers.js';

test('prompts have exactly sequence_length tokens; generate gives exactly N per row', async () => {
  const [config] = expandConfigs([{ fields: { engine_options: { threads: 1 } }, where: 'test' }]);
  assert.ok(config);
  const engine = new TransformersJsEngine(config, { cacheDir: TEST_CACHE_DIR });
  await engine.load();
  try {
    for (const length of [1, 7, 128, 1500]) {
      const rows = await exactLengthRows(engine, length, 3);
      assert.equal(rows.length, 3);
      for (const r of rows) assert.equal(r.length, length);
    }
    const inputs = await engine.prepare(await exactLengthRows(engine, 32, 3));
    const stamper = new TokenStamper(16);
    const out = await engine.generate(inputs, 16, stamper);
    assert.deepEqual(out.newTokens, [16, 16, 16]);
    assert.equal(out.firstRowIds.length, 16);
    // the prompt echo is not a step; end() was called once at the end
    assert.equal(stamper.count, 16);
    assert.ok(stamper.hasEnded);
    const d = engine.describe();
    assert.equal(d.engine.device, 'cpu');
    assert.equal(d.engine.dtype, 'fp32');
    assert.equal(d.model.source, 'synthetic');
  } finally {
    await engine.dispose();
  }
});
