import type { SystemName } from './options';
import { sortedCopy } from './stats';
import type { StepSummary } from './throughput';

/** What the chart draws for one system. */
export interface ChartSeries {
  system: SystemName;
  deliverSamples: readonly number[];
  ackSamples: readonly number[];
  steps: readonly StepSummary[];
}

const COLORS: Record<SystemName, string> = { chat: '#d62728', relay: '#2ca02c', persist: '#1f77b4' };
const WIDTH = 1100;
const HEIGHT = 510;
const PANEL = { top: 60, bottom: 90, left: 70, right: 20, gap: 90 };
/** Percentiles on the x axis of the latency panel; the axis is log(1 / (1 - p)), so tails get room. */
const PERCENTILES = [0, 0.5, 0.9, 0.99, 0.999, 0.9999];

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tailPosition = (p: number) => Math.log10(1 / (1 - Math.min(p, 0.99999)));

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Powers of ten and their 2x and 5x between low and high, for log axes. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade;
      if (value >= low && value <= high) ticks.push(value);
    }
  }
  return ticks;
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${value / 1000}k`;
  return String(Number(value.toPrecision(3)));
}

function frame(box: Box, title: string, xLabel: string, yLabel: string): string {
  return [
    `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" fill="none" stroke="#999"/>`,
    `<text x="${box.x + box.width / 2}" y="${box.y - 14}" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${box.x + box.width / 2}" y="${box.y + box.height + 42}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(${box.x - 52} ${box.y + box.height / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(yLabel)}</text>`,
  ].join('\n');
}

function yAxis(box: Box, ticks: readonly number[], toY: (value: number) => number): string {
  return ticks
    .map((tick) => {
      const y = toY(tick).toFixed(1);
      return `<line x1="${box.x}" x2="${box.x + box.width}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${box.x - 6}" y="${y}" dy="4" text-anchor="end" font-size="11">${formatNumber(tick)}</text>`;
    })
    .join('\n');
}

function latencyPanel(box: Box, series: readonly ChartSeries[]): string {
  const all = series.flatMap((s) => [...s.deliverSamples, ...s.ackSamples]).filter((v) => v > 0);
  if (all.length === 0) return frame(box, 'Latency by percentile (no samples)', '', '');
  // Reduced rather than spread: a long run has more samples than a call may take arguments.
  const low = Math.max(0.05, all.reduce((min, v) => Math.min(min, v), Number.POSITIVE_INFINITY) * 0.8);
  const high = all.reduce((max, v) => Math.max(max, v), 0) * 1.2;
  // The axis ends at the first tick past what the largest sample set can resolve.
  const largest = Math.max(...series.map((s) => Math.max(s.deliverSamples.length, s.ackSamples.length)));
  const ticks = PERCENTILES.filter((_, i) => i === 0 || (PERCENTILES[i - 1] ?? 0) < 1 - 1 / largest);
  const maxTail = tailPosition(ticks.at(-1) ?? 0.99);
  const toX = (p: number) => box.x + (tailPosition(p) / maxTail) * box.width;
  const toY = (ms: number) =>
    box.y +
    box.height -
    ((Math.log10(Math.max(ms, low)) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * box.height;
  const line = (samples: readonly number[], color: string, dashed: boolean) => {
    const sorted = sortedCopy(samples);
    if (sorted.length === 0) return '';
    const points: string[] = [];
    // Dense where the axis stretches: one point per sample in the tail, fewer in the body.
    for (
      let i = 0;
      i < sorted.length;
      i += i < sorted.length * 0.9 ? Math.max(1, Math.floor(sorted.length / 400)) : 1
    ) {
      const value = sorted[i] ?? 0;
      points.push(`${toX(i / sorted.length).toFixed(1)},${toY(value).toFixed(1)}`);
    }
    return `<polyline fill="none" stroke="${color}" stroke-width="${dashed ? 1.2 : 2}" ${dashed ? 'stroke-dasharray="5 3"' : ''} points="${points.join(' ')}"/>`;
  };
  const xTicks = ticks.map((p) => {
    const x = toX(p).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${box.y}" y2="${box.y + box.height}" stroke="#eee"/><text x="${x}" y="${box.y + box.height + 18}" text-anchor="middle" font-size="11">${Number((p * 100).toFixed(2))}%</text>`;
  });
  return [
    frame(box, 'Latency by percentile (solid: send→deliver, dashed: send→ack)', 'percentile', 'ms (log)'),
    yAxis(box, logTicks(low, high), toY),
    ...xTicks,
    ...series.map((s) => line(s.ackSamples, COLORS[s.system], true)),
    ...series.map((s) => line(s.deliverSamples, COLORS[s.system], false)),
  ].join('\n');
}

function throughputPanel(box: Box, series: readonly ChartSeries[], p99LimitMs: number): string {
  const steps = series.flatMap((s) => s.steps);
  if (steps.length === 0) return frame(box, 'Max-throughput ramp (not run)', '', '');
  const rates = steps.map((step) => step.offeredRate);
  const p99s = steps.map((step) => step.deliver.p99).filter((v) => Number.isFinite(v) && v > 0);
  const xLow = Math.min(...rates) / 1.5;
  const xHigh = Math.max(...rates) * 1.5;
  const yLow = Math.max(0.1, Math.min(...p99s, p99LimitMs) / 2);
  const yHigh = Math.max(...p99s, p99LimitMs) * 2;
  const log = (v: number, lo: number, hi: number) =>
    (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo));
  const toX = (rate: number) => box.x + log(rate, xLow, xHigh) * box.width;
  const toY = (ms: number) => box.y + box.height - log(Math.max(ms, yLow), yLow, yHigh) * box.height;
  const xTicks = logTicks(xLow, xHigh).map((tick) => {
    const x = toX(tick).toFixed(1);
    return `<line x1="${x}" x2="${x}" y1="${box.y}" y2="${box.y + box.height}" stroke="#eee"/><text x="${x}" y="${box.y + box.height + 18}" text-anchor="middle" font-size="11">${formatNumber(tick)}</text>`;
  });
  const limitY = toY(p99LimitMs).toFixed(1);
  const systems = series.map((s) => {
    const ordered = [...s.steps]
      .filter((step) => Number.isFinite(step.deliver.p99))
      .sort((a, b) => a.offeredRate - b.offeredRate);
    const color = COLORS[s.system];
    const path = ordered
      .map((step) => `${toX(step.offeredRate).toFixed(1)},${toY(step.deliver.p99).toFixed(1)}`)
      .join(' ');
    const marks = ordered.map(
      (step) =>
        `<circle cx="${toX(step.offeredRate).toFixed(1)}" cy="${toY(step.deliver.p99).toFixed(1)}" r="4" fill="${step.pass ? color : 'white'}" stroke="${color}" stroke-width="1.5"><title>${escapeXml(`${s.system} ${step.offeredRate}/s: ${step.why}`)}</title></circle>`,
    );
    return [`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${path}"/>`, ...marks].join(
      '\n',
    );
  });
  return [
    frame(
      box,
      'Max-throughput ramp: p99 send→deliver per step (hollow: failed)',
      'offered msgs/s (log)',
      'p99 ms (log)',
    ),
    yAxis(box, logTicks(yLow, yHigh), toY),
    ...xTicks,
    `<line x1="${box.x}" x2="${box.x + box.width}" y1="${limitY}" y2="${limitY}" stroke="#888" stroke-dasharray="6 4"/>`,
    `<text x="${box.x + box.width - 4}" y="${limitY}" dy="-4" text-anchor="end" font-size="11" fill="#555">p99 limit ${p99LimitMs} ms</text>`,
    ...systems,
  ].join('\n');
}

export function renderChart(series: readonly ChartSeries[], subtitle: string, p99LimitMs: number): string {
  const panelWidth = (WIDTH - PANEL.left - PANEL.right - PANEL.gap) / 2;
  const height = HEIGHT - PANEL.top - PANEL.bottom;
  const left: Box = { x: PANEL.left, y: PANEL.top, width: panelWidth, height };
  const right: Box = { x: PANEL.left + panelWidth + PANEL.gap, y: PANEL.top, width: panelWidth, height };
  const legend = series.map(
    (s, i) =>
      `<rect x="${PANEL.left + i * 110}" y="${HEIGHT - 18}" width="14" height="4" fill="${COLORS[s.system]}"/><text x="${PANEL.left + i * 110 + 20}" y="${HEIGHT - 12}" font-size="12">${s.system}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="13" fill="#444">${escapeXml(subtitle)}</text>`,
    latencyPanel(left, series),
    throughputPanel(right, series, p99LimitMs),
    ...legend,
    '</svg>',
  ].join('\n');
}
