/**
 * Small SVG charts rendered when the report is written: no JavaScript library, nothing fetched,
 * so a report opens offline anywhere. Every mark carries class "mark" and the chart counts its
 * marks in data-points, which the browser test checks.
 */

export interface Series {
  name: string;
  points: readonly [number, number][];
  kind: 'line' | 'dots' | 'step';
}

export interface Bar {
  x0: number;
  x1: number;
  y: number;
}

export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series?: readonly Series[];
  bars?: readonly Bar[];
  /** Fixed x range (to share a time axis between charts). */
  xDomain?: [number, number];
  /** The x axis counts something (batch size, tokens): whole-number ticks. */
  xIntegers?: boolean;
  /** Reference lines across the plot (an SLO limit, a capacity found), dashed, with their label. */
  hLines?: readonly { y: number; label: string }[];
  vLines?: readonly { x: number; label: string }[];
}

const W = 640;
const H = 260;
// the title on the first line and the legend on the second, above the plot, so they never overlap
const M = { left: 56, right: 16, top: 44, bottom: 40 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** An HTML table of text cells (escaped). */
/** A table cell: its text, or its text with a tooltip (the whole of what the text shortens). */
export type Cell = string | { text: string; title: string };

export function table(header: string[], rows: Cell[][]): string {
  const cell = (c: Cell): string => (typeof c === 'string' ? `<td>${escapeHtml(c)}</td>` : `<td title="${escapeHtml(c.title)}">${escapeHtml(c.text)}</td>`);
  return `<table><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</table>`;
}

/** Round ticks over [lo, hi]; `integers`: a count axis, whose ticks are whole numbers. */
function niceTicks(lo: number, hi: number, count = 5, integers = false): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const nice = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) ?? step0;
  const step = integers ? Math.max(1, Math.round(nice)) : nice;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : a >= 10 || a === 0 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toPrecision(2);
}

/** An SVG chart of line/dot/step series and/or bars. */
/** [lo, hi] widened where it spans nothing (one value, or all equal), so that ticks and positions stay finite. */
export function spanOf(lo: number, hi: number): [number, number] {
  if (hi > lo) return [lo, hi];
  const pad = Math.abs(lo) * 0.1 || 1;
  return [lo - pad, lo + pad];
}

const finitePoint = (p: readonly [number, number]): boolean => Number.isFinite(p[0]) && Number.isFinite(p[1]);

export function chart(spec: ChartSpec): string {
  // a missing figure (a failed value, NaN, an infinite percentile) is left out, never drawn as NaN
  const series = (spec.series ?? []).map((s) => ({ ...s, points: s.points.filter(finitePoint) }));
  const bars = (spec.bars ?? []).filter((b) => Number.isFinite(b.x0) && Number.isFinite(b.x1) && Number.isFinite(b.y));
  const hLines = (spec.hLines ?? []).filter((l) => Number.isFinite(l.y));
  const vLines = (spec.vLines ?? []).filter((l) => Number.isFinite(l.x));
  const xs = [...series.flatMap((s) => s.points.map((p) => p[0])), ...bars.flatMap((b) => [b.x0, b.x1]), ...vLines.map((l) => l.x)];
  if (xs.length === 0 || (series.every((s) => s.points.length === 0) && bars.length === 0)) return noDataChart(spec);
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...bars.map((b) => b.y), ...hLines.map((l) => l.y), 0];
  const [x0, x1] = spec.xDomain && spec.xDomain[1] > spec.xDomain[0] ? spec.xDomain : spanOf(Math.min(...xs), Math.max(...xs));
  const y1 = Math.max(...ys) * 1.05 || 1;
  const y0 = Math.min(...ys, 0);
  const sx = (x: number): number => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - ((y - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const parts: string[] = [];
  // bars are counts: whole-number ticks, printed as such
  const counts = bars.length > 0 && series.length === 0;
  for (const t of niceTicks(y0, y1, 5, counts)) parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(t)}" y2="${sy(t)}" class="grid"/><text x="${M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${counts ? String(t) : fmt(t)}</text>`);
  for (const t of niceTicks(x0, x1, 5, spec.xIntegers === true)) parts.push(`<text x="${sx(t)}" y="${H - M.bottom + 16}" text-anchor="middle">${spec.xIntegers ? String(t) : fmt(t)}</text>`);
  let marks = 0;
  for (const b of bars) {
    const x = sx(b.x0);
    const w = Math.max(1, sx(b.x1) - x - 1);
    parts.push(`<rect class="mark" x="${x}" y="${sy(b.y)}" width="${w}" height="${sy(y0) - sy(b.y)}" fill="${COLORS[0]}"><title>${fmt(b.x0)}-${fmt(b.x1)}: ${b.y}</title></rect>`);
    marks++;
  }
  series.forEach((s, i) => {
    const color = COLORS[(i + (bars.length > 0 ? 1 : 0)) % COLORS.length] as string;
    if (s.kind === 'dots') {
      for (const [x, y] of s.points) {
        parts.push(`<circle class="mark" cx="${sx(x)}" cy="${sy(y)}" r="2.5" fill="${color}"><title>${escapeHtml(s.name)}: ${fmt(x)}, ${fmt(y)}</title></circle>`);
        marks++;
      }
    } else if (s.points.length === 1) {
      // a path of one point draws nothing: a line of one sample shows as a dot
      const [x, y] = s.points[0] as [number, number];
      parts.push(`<circle class="mark" cx="${sx(x)}" cy="${sy(y)}" r="3" fill="${color}"><title>${escapeHtml(s.name)}: ${fmt(x)}, ${fmt(y)}</title></circle>`);
      marks++;
    } else if (s.points.length > 0) {
      let d = '';
      s.points.forEach(([x, y], k) => {
        if (k === 0) d += `M${sx(x)},${sy(y)}`;
        else if (s.kind === 'step') d += `H${sx(x)}V${sy(y)}`;
        else d += `L${sx(x)},${sy(y)}`;
      });
      // past the palette, lines are dashed, so that two series never look the same
      const dash = i + (bars.length > 0 ? 1 : 0) >= COLORS.length ? ' stroke-dasharray="6 3"' : '';
      parts.push(`<path class="mark" d="${d}" fill="none" stroke="${color}" stroke-width="1.6"${dash}><title>${escapeHtml(s.name)}</title></path>`);
      marks += s.points.length;
    }
  });
  for (const l of hLines) parts.push(`<line class="ref" x1="${M.left}" x2="${W - M.right}" y1="${sy(l.y)}" y2="${sy(l.y)}"/><text class="ref-label" x="${W - M.right - 4}" y="${sy(l.y) - 4}" text-anchor="end">${escapeHtml(l.label)}</text>`);
  for (const l of vLines) parts.push(`<line class="ref" x1="${sx(l.x)}" x2="${sx(l.x)}" y1="${M.top}" y2="${H - M.bottom}"/><text class="ref-label" x="${sx(l.x) + 4}" y="${M.top + 12}">${escapeHtml(l.label)}</text>`);
  const legend = series.map((s, i) => `<tspan fill="${COLORS[(i + (bars.length > 0 ? 1 : 0)) % COLORS.length]}">■ ${escapeHtml(s.name)}</tspan>`).join(' ');
  return `<figure><svg class="chart" id="${escapeHtml(spec.id)}" data-points="${marks}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(spec.title)}">
<text x="${M.left}" y="16" class="title">${escapeHtml(spec.title)}</text><text x="${M.left}" y="32" class="legend">${legend}</text>
${parts.join('\n')}
<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y0)}" y2="${sy(y0)}" class="axis"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" class="axis"/>
<text x="${(W + M.left) / 2}" y="${H - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>
<text x="14" y="${(H - M.bottom + M.top) / 2}" transform="rotate(-90 14 ${(H - M.bottom + M.top) / 2})" text-anchor="middle">${escapeHtml(spec.yLabel)}</text>
</svg></figure>`;
}

/** A chart's frame saying "no data" (a failed or empty value), with no marks. */
function noDataChart(spec: ChartSpec): string {
  return `<figure><svg class="chart" id="${escapeHtml(spec.id)}" data-points="0" data-empty="true" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(spec.title)}: no data">
<text x="${M.left}" y="16" class="title">${escapeHtml(spec.title)}</text>
<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text>
</svg></figure>`;
}

/** Histogram bars of `values` in `bins` equal-width bins. */
export function histogram(values: readonly number[], bins = 30): Bar[] {
  if (values.length === 0) return [];
  // a loop, not Math.min(...values): a long run's values are more than a call's arguments
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = (hi - lo) / bins || 1;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const i = Math.min(bins - 1, Math.floor((v - lo) / width));
    counts[i] = (counts[i] as number) + 1;
  }
  return counts.map((y, i) => ({ x0: lo + i * width, x1: lo + (i + 1) * width, y }));
}

/** Empirical CDF points: every value, or `maxPoints` of them at evenly spaced ranks (the last always). */
export function cdf(values: readonly number[], maxPoints = 2000): [number, number][] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const points = Math.min(n, maxPoints);
  return Array.from({ length: points }, (_, k) => {
    const rank = Math.ceil(((k + 1) * n) / points) - 1;
    return [sorted[rank] as number, (rank + 1) / n];
  });
}

export const CHART_CSS = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1340px;color:#111;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f5f5f5}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}svg.chart{width:640px;height:260px;background:#fff;border:1px solid #eee}
svg text{font-size:11px;fill:#333}svg .title{font-size:13px;font-weight:600}.grid{stroke:#eee}.axis{stroke:#999}
.ref{stroke:#b91c1c;stroke-dasharray:4 3}svg .ref-label{fill:#b91c1c}svg .empty{font-size:14px;fill:#888}
.slower{color:#b91c1c;font-weight:600}.faster{color:#15803d;font-weight:600}.noisy{color:#a16207}.note{color:#555}`;
