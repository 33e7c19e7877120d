/**
 * How often does `compare` flag a regression? Simulated pairs of runs with a known true change:
 * lognormal samples (sigma = the log-scale spread of one iteration), unpaired, or interleaved by
 * round with a drift both sides share. The rule is compare.ts's own (compareSamples and
 * comparePairedSamples); the rule it replaced (p < 0.05 and the whole bootstrap interval of the
 * median change past the threshold) is shown beside it for the trade-off.
 *
 * Targets (issue 14): power >= 80% at +10%, n = 20, sigma 0.1, unpaired, and interleaved with a
 * shared drift of sigma 0.3 on top; false positives (true change 0) <= 5% at every sigma 0.02-0.6
 * and n 5-100. Also printed: how often a true change equal to the threshold is flagged (about half
 * the time at low noise: the threshold is the smallest change worth flagging), and a check of the
 * detectable-change formula (statistics.ts): at the change it gives, the test should be
 * significant about 80% of the time.
 *
 *   npx tsx bench/verdict-power.ts [--sims 2000] [--power-sims 10000]
 */
import { comparePairedSamples, compareSamples } from '../src/report/compare.js';
import { detectableChange, mannWhitneyU, medianSorted, pairedDetectableChange, quantileSorted, sortAscending } from '../src/results/statistics.js';
import { flag } from './common.js';

const SIMS = Number(flag('sims', '2000'));
const POWER_SIMS = Number(flag('power-sims', '10000'));
const THRESHOLD = 0.05;

// mulberry32 and Box-Muller: seeded, so the table is the same on every run
let state = 20261201;
const uniform = (): number => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const gaussian = (): number => Math.sqrt(-2 * Math.log(uniform() || Number.MIN_VALUE)) * Math.cos(2 * Math.PI * uniform());

/** One simulated pair of runs: n rounds; each side lognormal(sigma) times a shared per-round drift. */
function runs(n: number, sigma: number, change: number, drift: number): [number[], number[]] {
  const shared = Array.from({ length: n }, () => drift * gaussian());
  return [shared.map((d) => 10 * Math.exp(d + sigma * gaussian())), shared.map((d) => 10 * (1 + change) * Math.exp(d + sigma * gaussian()))];
}

/** The replaced rule: p < 0.05 and the whole percentile-bootstrap interval of the median change past the threshold. */
function oldRuleSlower(a: number[], b: number[]): boolean {
  if (!(mannWhitneyU(a, b).p < 0.05)) return false;
  const pick = (xs: number[]): number => medianSorted(sortAscending(Array.from(xs, () => xs[Math.floor(uniform() * xs.length)] as number)));
  const changes = sortAscending(Array.from({ length: 1000 }, () => pick(b) / pick(a) - 1));
  return quantileSorted(changes, 0.025) > THRESHOLD;
}

type Mode = 'unpaired' | 'paired' | 'old';
function flagged(mode: Mode, n: number, sigma: number, change: number, drift: number, sims: number): number {
  let hits = 0;
  for (let i = 0; i < sims; i++) {
    const [a, b] = runs(n, sigma, change, drift);
    const slower = mode === 'old' ? oldRuleSlower(a, b) : (mode === 'paired' ? comparePairedSamples : compareSamples)(a, b, true, THRESHOLD).verdict === 'slower';
    if (slower) hits++;
  }
  return hits / sims;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
console.log(`threshold ${pct(THRESHOLD)}; power cells ${POWER_SIMS} simulations each (old rule ${Math.min(POWER_SIMS, 1000)}), the others ${SIMS}\n`);
console.log('| case | new rule, unpaired | new rule, paired by round | old rule (whole interval) |');
console.log('|---|---|---|---|');
const oldSims = Math.min(POWER_SIMS, 1000);
for (const [label, drift] of [['+10%, n 20, sigma 0.1', 0], ['+10%, n 20, sigma 0.1 + shared drift 0.3', 0.3]] as const) {
  console.log(`| ${label} | ${pct(flagged('unpaired', 20, 0.1, 0.1, drift, POWER_SIMS))} | ${pct(flagged('paired', 20, 0.1, 0.1, drift, POWER_SIMS))} | ${pct(flagged('old', 20, 0.1, 0.1, drift, oldSims))} |`);
}
console.log('\nFalse positives (true change 0) and flags at a true change equal to the threshold (+5%), new rule:\n');
console.log('| sigma | n | false positives, unpaired | paired | flagged at +5%, unpaired | paired |');
console.log('|---|---|---|---|---|---|');
let worst = 0;
for (const sigma of [0.02, 0.05, 0.1, 0.2, 0.3, 0.6]) {
  for (const n of [5, 10, 20, 50, 100]) {
    const fpU = flagged('unpaired', n, sigma, 0, 0, SIMS);
    const fpP = flagged('paired', n, sigma, 0, 0, SIMS);
    worst = Math.max(worst, fpU, fpP);
    console.log(`| ${sigma} | ${n} | ${pct(fpU)} | ${pct(fpP)} | ${pct(flagged('unpaired', n, sigma, THRESHOLD, 0, SIMS))} | ${pct(flagged('paired', n, sigma, THRESHOLD, 0, SIMS))} |`);
  }
}
console.log(`\nworst false-positive rate over the grid: ${pct(worst)} (target <= 5%)`);

console.log('\nThe detectable change (80% power) from the formula, and how often the test is significant (p < 0.05, right direction) at it:\n');
console.log('| sigma | n | detectable, unpaired | significant | detectable, paired | significant |');
console.log('|---|---|---|---|---|---|');
const significant = (paired: boolean, n: number, sigma: number, change: number): number => {
  let hits = 0;
  for (let i = 0; i < SIMS; i++) {
    const [a, b] = runs(n, sigma, change, 0);
    const r = (paired ? comparePairedSamples : compareSamples)(a, b, true, THRESHOLD);
    if (r.p_value < 0.05 && r.change > 0) hits++;
  }
  return hits / SIMS;
};
for (const sigma of [0.05, 0.1, 0.3]) {
  for (const n of [5, 10, 20, 50]) {
    const unpaired = detectableChange(sigma, n, n);
    // paired rounds: the log ratio of two sides with sigma each has sigma * sqrt(2)
    const paired = pairedDetectableChange(sigma * Math.SQRT2, n);
    console.log(`| ${sigma} | ${n} | ${pct(unpaired)} | ${pct(significant(false, n, sigma, unpaired))} | ${pct(paired)} | ${pct(significant(true, n, sigma, paired))} |`);
  }
}
