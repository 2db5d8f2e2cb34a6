import { MAX_BUNDLE_BYTES } from '../lib/chat-function';
import type { BundleResult } from './coldstart';
import type { CostResult, FlowCost } from './cost';
import type { RunResult, Verification } from './load';
import type { BenchOptions, SystemName } from './options';
import type { Sizing } from './sizing';
import type { StartupResult } from './startup';
import type { Distribution } from './stats';
import type { CpuPerMessage } from './system';
import type { StepSummary, ThroughputResult } from './throughput';

export type LatencySummary = Omit<RunResult, 'deliverSamples' | 'ackSamples'> & {
  cpuMsPerMessage: CpuPerMessage;
  deliverCdf: [number, number][];
  ackCdf: [number, number][];
};

export interface SystemReport {
  system: SystemName;
  /** From the first line of the server process to ready. */
  readyMs: number;
  latency: LatencySummary | undefined;
  throughput: ThroughputResult | undefined;
  /** The persist floor at 500 msgs/s, the rate the issue quotes its p99 for. */
  calibration: StepSummary | undefined;
  /** Loss and duplicates over all of this system's runs, checked at the end. */
  verification: Verification | undefined;
  /** What the server process printed that was not the expected Node-version warning. */
  serverOutput: string[];
  error: string | undefined;
}

export interface TargetCheck {
  target: string;
  goal: string;
  measured: string;
  /** undefined when the run did not measure it. */
  met: boolean | undefined;
  note: string;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    loadAverageStart: number[];
    loadAverageEnd: number[];
  };
  options: BenchOptions;
  systems: SystemReport[];
  cost: CostResult | undefined;
  bundles: BundleResult[] | undefined;
  startup: StartupResult[] | undefined;
  /** The measured flows applied to a day of a million users (bench/sizing.ts). */
  sizing: Sizing | undefined;
  /** Phases that failed; the others still ran. */
  errors: string[];
  targets: TargetCheck[];
}

const PERSIST_FLOOR_EXPECTED = { maxRate: 1200, p99At500: [15, 30] as const };
const MAX_LOAD_MS = 100;
const MAX_START_MS = 3000;
/** Issue 15's targets: what a flow may cost, per million of its units, and a day of a million users. */
const MAX_DOLLARS_PER_MILLION: Readonly<Record<string, number>> = {
  'chat-open-library': 9,
  'chat-open': 12,
  'connected-hour': 75,
};
const MAX_DOLLARS_PER_DAY = 450;
const MIN_THROUGHPUT_OF_FLOOR = 0.3;
const MAX_P99_OF_FLOOR = 3;
/** Each one a DynamoDB latency the recipient waits for: the deployed send→deliver time. */
const MAX_SEND_ROUND_TRIPS = 3;

const ms = (value: number) =>
  Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '-';
const ratio = (a: number, b: number) => {
  const value = a / b;
  if (!Number.isFinite(value) || b <= 0) return '-';
  return `${value < 1 ? value.toPrecision(2) : value.toFixed(1)}x`;
};
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/**
 * Columns padded to their widest cell; `align` has one letter per column, l or r (default: the first
 * column left, the others right).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align = 'l'): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) =>
        (align[i] ?? 'r') === 'l' ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const percentiles = (d: Distribution) => [ms(d.p50), ms(d.p90), ms(d.p99), ms(d.max)];

const cpuTotal = (cpu: CpuPerMessage) => cpu.server + (cpu.children ?? 0);
const cpuText = (cpu: CpuPerMessage) =>
  `${fixed(cpu.server, 2)}+${cpu.children === undefined ? '?' : fixed(cpu.children, 2)}`;

function latencySection(report: BenchReport): string | undefined {
  const runs = report.systems.flatMap((s) => (s.latency ? [{ system: s.system, latency: s.latency }] : []));
  if (runs.length === 0) return undefined;
  const o = report.options;
  const rows = runs.map(({ system, latency: l }) => [
    system,
    fixed(l.deliveredPerSecond),
    String(l.sent),
    String(l.unacked),
    String(l.undelivered),
    String(l.duplicates),
    String(l.retries),
    ...percentiles(l.deliver),
    ...percentiles(l.ack),
    cpuText(l.cpuMsPerMessage),
  ]);
  const chat = runs.find((run) => run.system === 'chat')?.latency;
  for (const floor of ['relay', 'persist'] as const) {
    const base = runs.find((run) => run.system === floor)?.latency;
    if (!chat || !base) continue;
    const ratios = (pick: (l: LatencySummary) => Distribution) =>
      (['p50', 'p90', 'p99', 'max'] as const).map((p) => ratio(pick(chat)[p], pick(base)[p]));
    rows.push([
      `chat ÷ ${floor}`,
      ...['', '', '', '', '', ''],
      ...ratios((l) => l.deliver),
      ...ratios((l) => l.ack),
      ratio(cpuTotal(chat.cpuMsPerMessage), cpuTotal(base.cpuMsPerMessage)),
    ]);
  }
  return [
    `Latency (ms) at ${o.rate} msgs/s offered: ${o.users} users in ${o.users / 2} conversations, ${o.size}-character texts, ${o.durationSeconds} s measured after ${o.warmupSeconds} s warm-up`,
    table(
      [
        'system',
        'deliv/s',
        'sent',
        'unacked',
        'undeliv',
        'dup',
        'retry',
        'deliver p50',
        'p90',
        'p99',
        'max',
        'ack p50',
        'p90',
        'p99',
        'max',
        'CPU ms/msg (server+db)',
      ],
      rows,
    ),
  ].join('\n');
}

/** The passing step at the highest rate. */
function topStep(throughput: ThroughputResult): StepSummary | undefined {
  return throughput.steps.filter((step) => step.pass).sort((a, b) => b.offeredRate - a.offeredRate)[0];
}

function throughputSection(report: BenchReport): string | undefined {
  const runs = report.systems.filter((s) => s.throughput);
  if (runs.length === 0) return undefined;
  const m = report.options.max;
  const rows = runs.map((s) => {
    const t = s.throughput;
    if (!t) return [s.system];
    const steps = [...t.steps]
      .sort((a, b) => a.offeredRate - b.offeredRate)
      .map((step) => `${step.offeredRate}${step.pass ? '✓' : '✗'}${ms(step.deliver.p99)}`)
      .join(' ');
    const top = topStep(t);
    return [
      s.system,
      String(t.maxSustained),
      fixed(t.peakDelivered, 0),
      top ? cpuText(top.cpuMsPerMessage) : '-',
      t.generatorBound ? 'yes' : 'no',
      steps,
    ];
  });
  const lines = [
    `Max sustained throughput: steps of ${m.stepSeconds} s; a step passes with p99 send→deliver ≤ ${m.p99LimitMs} ms, ≥ 95% of the offered rate delivered within it, nothing lost or duplicated`,
    table(
      [
        'system',
        'max sustained/s',
        'peak deliv/s',
        'CPU ms/msg there (server+db)',
        'generator-bound',
        'steps (rate ✓/✗ p99 ms)',
      ],
      rows,
      'lrrrrl',
    ),
  ];
  const chatTop = runs.find((s) => s.system === 'chat')?.throughput;
  const persistTop = runs.find((s) => s.system === 'persist')?.throughput;
  const chatCpu = chatTop && topStep(chatTop);
  const persistCpu = persistTop && topStep(persistTop);
  if (chatCpu && persistCpu) {
    lines.push(
      `By CPU per message at their top sustained steps, the chat needs ${ratio(cpuTotal(chatCpu.cpuMsPerMessage), cpuTotal(persistCpu.cpuMsPerMessage))} the persist floor's CPU: on a CPU-bound machine it can reach about ${fixed((100 * cpuTotal(persistCpu.cpuMsPerMessage)) / cpuTotal(chatCpu.cpuMsPerMessage), 0)}% of the floor's throughput`,
    );
  }
  const calibration = report.systems.find((s) => s.calibration)?.calibration;
  if (calibration) {
    lines.push(
      `persist floor at ${calibration.offeredRate} msgs/s: p50 ${ms(calibration.deliver.p50)} ms, p99 ${ms(calibration.deliver.p99)} ms (the issue expects ${PERSIST_FLOOR_EXPECTED.p99At500.join('-')} ms)`,
    );
  }
  return lines.join('\n');
}

function dynamoCalls(flow: FlowCost | undefined): string {
  if (!flow) return '-';
  return Object.entries(flow.usage.dynamo)
    .filter(([, count]) => count.calls > 0.01)
    .map(([key, count]) => `${key} ×${fixed(count.calls, 2)}`)
    .join(', ');
}

function s3Requests(flow: FlowCost | undefined): string {
  if (!flow) return '-';
  const { puts, gets, gbOut } = flow.usage.s3;
  return `${fixed(puts, 2)} at the PUT rate (POST, COPY), ${fixed(gets, 2)} at the GET rate (HEAD, GET), ${fixed(gbOut * 1024 ** 2, 0)} KB out`;
}

function costSection(cost: CostResult | undefined): string | undefined {
  if (!cost) return undefined;
  const rows = cost.flows.map((flow) => [
    flow.flow,
    flow.unit,
    flow.source,
    fixed(flow.totals.dynamoCalls, 2),
    `${fixed(flow.usage.roundTrips.beforeLastPost, 2)} / ${fixed(flow.usage.roundTrips.total, 2)}`,
    fixed(flow.totals.readUnits, 2),
    fixed(flow.totals.writeUnits, 2),
    fixed(flow.totals.invocations, 2),
    fixed(flow.totals.billedMs, 1),
    fixed(flow.usage.apiMessagesIn + flow.usage.apiMessagesOut, 2),
    fixed(flow.usage.posts, 2),
    fixed(flow.usage.s3.puts + flow.usage.s3.gets, 2),
    fixed(flow.perMillion, 2),
  ]);
  const share = (flow: FlowCost | undefined) => {
    if (!flow) return '';
    const d = flow.dollars;
    const part = (value: number) => `${fixed(value * 1e6, 2)}`;
    return `API Gateway ${part(d.apiGateway)}, Lambda ${part(d.lambdaRequests + d.lambdaCompute)} (requests ${part(d.lambdaRequests)}), DynamoDB reads ${part(d.dynamoReads)}, writes ${part(d.dynamoWrites)}, S3 ${part(d.s3)}`;
  };
  const byName = (name: string) => cost.flows.find((flow) => flow.flow === name);
  const notes = cost.flows.filter((flow) => flow.note).map((flow) => `  ${flow.flow}: ${flow.note}`);
  return [
    'AWS usage and cost per flow, counted at the servers (DynamoDB proxy, gateway, local S3); us-east-1 list prices from the AWS pricing pages (bench/pricing.ts), Lambda at 256 MB arm64 with the locally measured durations',
    table(
      [
        'flow',
        'unit',
        'source',
        'DDB calls',
        'DDB RTs',
        'RRU',
        'WRU',
        'Lambda',
        'billed ms',
        'API msgs',
        'posts',
        'S3 reqs',
        '$ per million',
      ],
      rows,
    ),
    "DDB RTs: sequential DynamoDB round trips of the flow, summed over its invocations (calls made at the same time count once), up to each invocation's last @connections post / in all (bench/round-trips.ts)",
    `DynamoDB calls of a send to an online user: ${dynamoCalls(byName('send-online'))}`,
    `DynamoDB calls of a "seen" receipt: ${dynamoCalls(byName('receipt-seen'))}`,
    `$ per million of chat-open: ${share(byName('chat-open'))}`,
    `$ per million of chat-open-library: ${share(byName('chat-open-library'))}`,
    `$ per million of media: ${share(byName('media'))}`,
    `S3 requests of a media message: ${s3Requests(byName('media'))}`,
    ...(notes.length > 0 ? ['Notes:', ...notes] : []),
  ].join('\n');
}

function sizingSection(sizing: Sizing | undefined): string | undefined {
  if (!sizing) return undefined;
  const a = sizing.assumptions;
  const p = sizing.peak;
  const n = (value: number) => Math.round(value).toLocaleString('en-US');
  const tables = Object.entries(p.dynamo).map(([table, units]) => [
    table,
    n(units.calls),
    n(units.readUnits),
    n(units.writeUnits),
  ]);
  const d = sizing.perDay;
  return [
    `Sizing for ${n(a.dailyUsers)} daily users (${a.messagesPerUserPerDay} messages, ${a.connectedMinutesPerUserPerDay} connected minutes in ${a.sessionsPerUserPerDay} sessions a day each; ${a.peakHourShare * 100}% of the day in the busiest hour, its busiest second ${a.burstFactor}x the hour's average)`,
    `busiest second: ${n(p.messagesPerSecond)} messages/s, ${n(p.concurrentConnections)} connections, ${n(p.connectsPerSecond)} connects/s, ${n(p.heartbeatsPerSecond)} heartbeats/s`,
    `API Gateway: ${n(p.framesInPerSecond)} client frames/s + ${n(p.postsPerSecond)} @connections posts/s; ${n(p.billedApiMessagesPerSecond)} billed messages/s`,
    `Lambda: ${n(p.lambdaInvocationsPerSecond)} invocations/s, about ${n(p.lambdaConcurrency)} concurrent (local durations x${a.awsDurationFactor})`,
    table(['DynamoDB table', 'calls/s', 'RRU/s', 'WRU/s'], tables),
    `$ per day: messages ${n(d.messages)}, heartbeats ${n(d.heartbeats)}, sweeps ${n(d.sweeps)}, sessions ${n(d.sessions)}, connection minutes ${n(d.connectionMinutes)}; total ${n(d.total)} (${n(d.total * 30)} a month)`,
  ].join('\n');
}

function bundleSection(bundles: BundleResult[] | undefined): string | undefined {
  if (!bundles) return undefined;
  return [
    `Lambda bundles (shared esbuild options of lib/chat-function.ts), module load = median require() time in a fresh process over ${bundles[0]?.loadRuns ?? 0} runs`,
    table(
      ['function', 'KB', 'gzip KB', 'load ms', 'load ms (--enable-source-maps)'],
      bundles.map((b) => [
        b.name,
        fixed(b.bytes / 1024, 0),
        fixed(b.gzipBytes / 1024, 0),
        ms(b.loadMs),
        ms(b.loadMsSourceMaps),
      ]),
    ),
  ].join('\n');
}

function startupSection(startup: StartupResult[] | undefined): string | undefined {
  if (!startup) return undefined;
  return [
    '`npm start` until ready (median)',
    table(
      ['mode', 'runs', 'wall ms (spawn → ready line)', 'ms it reports (ready in)'],
      startup.map((s) => [s.mode, String(s.runs), ms(s.wallMs), ms(s.reportedMs)]),
      'l',
    ),
  ].join('\n');
}

/** Compares the run with the issue's targets; a target the run did not measure is left open. */
export function checkTargets(report: Omit<BenchReport, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const system = (name: SystemName) => report.systems.find((s) => s.system === name);
  const o = report.options;

  const verified = report.systems.flatMap((s) =>
    s.verification ? [{ system: s.system, v: s.verification }] : [],
  );
  checks.push({
    target: 'zero loss and duplicates',
    goal: '0 lost, 0 duplicated, at every load',
    measured: verified.map(({ system, v }) => `${system} ${v.lost}/${v.duplicates}`).join(', ') || '-',
    met:
      verified.length === 0
        ? undefined
        : verified.every(({ v }) => v.lost === 0 && v.duplicates === 0 && v.seqGaps === 0),
    note: `lost/duplicated of ${verified.reduce((n, { v }) => n + v.sent, 0)} messages, past saturation included; chat checked against its history; ${verified.reduce((n, { v }) => n + v.unacked, 0)} never acknowledged (not lost)`,
  });

  const chatLatency = system('chat')?.latency;
  const persistLatency = system('persist')?.latency;
  const standardLoad = o.rate === 100 && o.users === 200;
  checks.push({
    target: 'p99 send→deliver vs persist floor',
    goal: `≤ ${MAX_P99_OF_FLOOR}x the persist floor p99 at 100 msgs/s over 100 pairs`,
    measured:
      chatLatency && persistLatency
        ? `${ms(chatLatency.deliver.p99)} vs ${ms(persistLatency.deliver.p99)} ms = ${ratio(chatLatency.deliver.p99, persistLatency.deliver.p99)}`
        : '-',
    met:
      chatLatency && persistLatency
        ? chatLatency.deliver.p99 <= MAX_P99_OF_FLOOR * persistLatency.deliver.p99
        : undefined,
    note: standardLoad ? '' : `measured at ${o.rate} msgs/s with ${o.users} users, not the target's load`,
  });

  const chatMax = system('chat')?.throughput;
  const persistMax = system('persist')?.throughput;
  checks.push({
    target: 'max sustained throughput',
    goal: `≥ ${100 * MIN_THROUGHPUT_OF_FLOOR}% of the persist floor`,
    measured:
      chatMax && persistMax
        ? `${chatMax.maxSustained} vs ${persistMax.maxSustained} msgs/s = ${fixed((100 * chatMax.maxSustained) / persistMax.maxSustained, 0)}%`
        : '-',
    met:
      chatMax && persistMax
        ? chatMax.maxSustained >= MIN_THROUGHPUT_OF_FLOOR * persistMax.maxSustained
        : undefined,
    note: persistMax
      ? `the issue expects the persist floor near ${PERSIST_FLOOR_EXPECTED.maxRate} msgs/s`
      : '',
  });

  const flow = (name: string) => report.cost?.flows.find((f) => f.flow === name);
  const online = flow('send-online');
  checks.push({
    target: 'DynamoDB calls of a send to an online user',
    goal: '≤ 4 (plus one post per live connection)',
    measured: online
      ? `${fixed(online.totals.dynamoCalls, 2)} calls, ${fixed(online.usage.posts, 2)} posts`
      : '-',
    met: online ? online.totals.dynamoCalls <= 4.05 : undefined,
    note: online ? dynamoCalls(online) : '',
  });

  checks.push({
    target: 'sequential round trips of a send, until the delivery',
    goal: `≤ ${MAX_SEND_ROUND_TRIPS} DynamoDB round trips before the post`,
    measured: online ? fixed(online.usage.roundTrips.beforeLastPost, 2) : '-',
    met: online ? online.usage.roundTrips.beforeLastPost <= MAX_SEND_ROUND_TRIPS + 0.05 : undefined,
    note: online ? `${fixed(online.usage.roundTrips.total, 2)} in all; bench/round-trips.ts` : '',
  });

  for (const name of ['receipt-delivered', 'receipt-seen']) {
    const receipt = flow(name);
    const writes = receipt
      ? Object.entries(receipt.usage.dynamo)
          .filter(([key]) => /^(PutItem|UpdateItem|DeleteItem|BatchWriteItem)/.test(key))
          .reduce((n, [, c]) => n + c.calls, 0)
      : 0;
    const reads = receipt ? receipt.totals.dynamoCalls - writes : 0;
    checks.push({
      target: `${name} DynamoDB calls`,
      goal: '≤ 1 write and 1 read (plus posts)',
      measured: receipt
        ? `${fixed(writes, 2)} writes, ${fixed(reads, 2)} reads, ${fixed(receipt.usage.posts, 2)} posts`
        : '-',
      met: receipt ? writes <= 1.05 && reads <= 1.05 : undefined,
      note: receipt ? `${receipt.source}; ${dynamoCalls(receipt)}` : '',
    });
  }

  for (const [name, limit] of Object.entries(MAX_DOLLARS_PER_MILLION)) {
    const measured = flow(name);
    checks.push({
      target: `$ per million ${measured?.unit ?? 'unit'}s (${name})`,
      goal: `≤ $${limit}`,
      measured: measured ? `$${fixed(measured.perMillion, 2)}` : '-',
      met: measured ? measured.perMillion <= limit : undefined,
      note: measured?.label ?? '',
    });
  }
  checks.push({
    target: '$ per day, 1,000,000 daily users',
    goal: `≤ $${MAX_DOLLARS_PER_DAY}`,
    measured: report.sizing ? `$${fixed(report.sizing.perDay.total, 0)}` : '-',
    met: report.sizing ? report.sizing.perDay.total <= MAX_DOLLARS_PER_DAY : undefined,
    note: 'the measured flows applied to the sizing assumptions (bench/sizing.ts)',
  });

  const bundles = report.bundles;
  const biggest = bundles?.reduce<BundleResult | undefined>(
    (max, b) => (max && max.bytes >= b.bytes ? max : b),
    undefined,
  );
  const slowest = bundles?.reduce<BundleResult | undefined>(
    (max, b) => (max && max.loadMs >= b.loadMs ? max : b),
    undefined,
  );
  checks.push({
    target: 'bundle size',
    goal: `≤ ${MAX_BUNDLE_BYTES / 1024} KB minified, each`,
    measured: biggest ? `largest ${biggest.name} ${fixed(biggest.bytes / 1024, 0)} KB` : '-',
    met: bundles ? bundles.every((b) => b.bytes <= MAX_BUNDLE_BYTES) : undefined,
    note: bundles
      ? `${bundles.filter((b) => b.bytes > MAX_BUNDLE_BYTES).length} of ${bundles.length} over${bundles
          .filter((b) => b.bytes > MAX_BUNDLE_BYTES)
          .map((b) => ` ${b.name} ${fixed(b.bytes / 1024, 0)} KB`)
          .join(',')}`
      : '',
  });
  checks.push({
    target: 'bundle load time',
    goal: '≤ 100 ms, each',
    measured: slowest
      ? `slowest ${slowest.name} ${ms(slowest.loadMs)} ms (${ms(slowest.loadMsSourceMaps)} with source maps)`
      : '-',
    met: bundles ? bundles.every((b) => b.loadMs <= MAX_LOAD_MS) : undefined,
    note: 'require() in a fresh Node process; Lambda also pays its runtime init',
  });

  const start = report.startup?.find((s) => s.mode === 'data-dir') ?? report.startup?.[0];
  checks.push({
    target: '`npm start` ready',
    goal: '≤ 3 s',
    measured: start ? `${ms(start.wallMs)} ms wall (${ms(start.reportedMs)} ms as it reports)` : '-',
    met: start ? start.wallMs <= MAX_START_MS : undefined,
    note: start ? `${start.mode}; wall time includes npm and tsx` : '',
  });
  return checks;
}

function targetSection(targets: readonly TargetCheck[]): string {
  return [
    'Targets',
    table(
      ['target', 'goal', 'measured', 'verdict', 'note'],
      targets.map((t) => [
        t.target,
        t.goal,
        t.measured,
        t.met === undefined ? 'not run' : t.met ? 'met' : 'MISSED',
        t.note,
      ]),
    ),
  ].join('\n');
}

export function renderReport(report: BenchReport): string {
  const m = report.machine;
  const busy = m.loadAverageStart[0] !== undefined && m.loadAverageStart[0] > m.cpus;
  return [
    `Benchmark ${report.startedAt}: ${m.cpus} × ${m.cpuModel}, Node ${m.node}, load average ${m.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} at start, ${m.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')} at end${busy ? '  (machine busy: figures are pessimistic)' : ''}`,
    latencySection(report),
    throughputSection(report),
    costSection(report.cost),
    sizingSection(report.sizing),
    bundleSection(report.bundles),
    startupSection(report.startup),
    targetSection(report.targets),
  ]
    .filter((section): section is string => section !== undefined)
    .join('\n\n');
}
