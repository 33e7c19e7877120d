/**
 * The HTML report in a real headless Chromium (Debian's, through playwright-core): every chart has
 * rendered data, the console stays clean, nothing is fetched; a screenshot is kept as an artifact.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { ROOT, runCli, tempDir } from '../helpers.js';
import { fakeNvml, NO_GPU_ENV } from '../monitor/standins.js';
import { needs } from '../support/requirements.js';
import { startScriptedServer } from '../support/scripted-openai-server.js';

const CHROMIUM = '/usr/bin/chromium';
const chromiumHere = needs({ what: 'Chromium', missing: existsSync(CHROMIUM) ? null : `no ${CHROMIUM}: .ci/run installs Debian's chromium` });
const ARTIFACTS = join(ROOT, 'test-artifacts');

async function openReport(html: string, screenshot: string): Promise<{ charts: { id: string; points: number; width: number }[]; errors: string[]; requests: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:')) requests.push(r.url());
    });
    await page.goto(pathToFileURL(html).href);
    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((el) => ({ id: el.id, points: el.querySelectorAll('.mark').length, width: el.getBoundingClientRect().width })),
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, screenshot), fullPage: true });
    return { charts, errors, requests };
  } finally {
    await browser.close();
  }
}

test('run report: every chart rendered with data, no console errors, offline', chromiumHere.options, async () => {
  chromiumHere.check();
  const dir = tempDir();
  const out = join(dir, 'r.json');
  const env = { ...NO_GPU_ENV, PATH: process.env.PATH ?? '', TOKENBENCH_NVML_LIB: fakeNvml(), FAKE_NVML_DEVICES: '1' };
  // iterations of ~120 ms or more: at 128 tokens (~30 ms) the niced monitor, starved by onnxruntime's
  // threads on 2 cores, sometimes took no sample in the typical iteration, and its chart was left out
  const r = await runCli(['run', '--warmup', '1', '--iterations', '6', '--sequence-length', '16', '--new-tokens', '512', '--batch-size', '1', '2', '--monitor-interval-ms', '5', '--no-store', '--quiet', '--output', out], { env });
  assert.equal(r.code, 0, r.stderr);
  const html = join(dir, 'report.html');
  const rep = await runCli(['report', out, '-o', html]);
  assert.equal(rep.code, 0, rep.stderr);
  assert.doesNotMatch(readFileSync(html, 'utf8'), /<script|https?:\/\/(?!www\.w3\.org)/);
  const { charts, errors, requests } = await openReport(html, 'report.png');
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, []);
  const ids = charts.map((c) => c.id);
  for (const id of ['timeline-0', 'devices-0', 'itl-hist-0', 'itl-cdf-0', 'ttft-0', 'e2e-0', 'timeline-1', 'sweep-batch_size-throughput', 'sweep-batch_size-itl']) {
    assert.ok(ids.includes(id), `chart ${id} missing (have ${ids.join(', ')})`);
  }
  for (const c of charts) {
    assert.ok(c.points > 0, `chart ${c.id} has no data`);
    assert.ok(c.width > 100, `chart ${c.id} not laid out`);
  }
});

test('comparison report renders too', chromiumHere.options, async () => {
  chromiumHere.check();
  const dir = tempDir();
  const out = join(dir, 'r.json');
  const r = await runCli(['run', '--warmup', '0', '--iterations', '4', '--sequence-length', '8', '--new-tokens', '16', '--no-gpu-monitoring', '--no-store', '--quiet', '--output', out]);
  assert.equal(r.code, 0, r.stderr);
  const html = join(dir, 'compare.html');
  const c = await runCli(['compare', out, out, '--format', 'html', '--output', html]);
  assert.equal(c.code, 0, c.stderr);
  const { charts, errors } = await openReport(html, 'compare.png');
  assert.deepEqual(errors, []);
  assert.ok(charts.length >= 1 && charts.every((x) => x.points > 0));
});

test('load run report: its requests charted (over the run, dispatch delay, TTFT, TPOT, e2e, ITL gaps)', chromiumHere.options, async () => {
  chromiumHere.check();
  const server = await startScriptedServer();
  try {
    const dir = tempDir();
    const out = join(dir, 'l.json');
    const r = await runCli(['load', '--url', server.url, '--model', 'ttft=5,itl=2', '--request-rate', '40', '--requests', '20', '--input-len', '8', '--output-len', '8', '--no-store', '--quiet', '--output', out]);
    assert.equal(r.code, 0, r.stderr);
    const html = join(dir, 'report.html');
    const rep = await runCli(['report', out, '-o', html]);
    assert.equal(rep.code, 0, rep.stderr);
    assert.doesNotMatch(readFileSync(html, 'utf8'), /No measured iterations/);
    const { charts, errors } = await openReport(html, 'load-report.png');
    assert.deepEqual(errors, []);
    const byId = new Map(charts.map((c) => [c.id, c.points]));
    for (const id of ['requests-0', 'dispatch-0', 'ttft-0', 'tpot-0', 'e2e-0', 'itl-cdf-0']) assert.ok((byId.get(id) ?? 0) > 0, `chart ${id} missing or empty (have ${[...byId.keys()].join(', ')})`);
    assert.equal(byId.get('requests-0'), 20, 'one mark per request');
  } finally {
    await server.close();
  }
});
