/**
 * `npm run bench`: drives the chat's local runtime and the two floors with simulated users, counts the
 * AWS calls of each flow, measures the Lambda bundles and `npm start`, and writes a table to stdout and
 * JSON + SVG to bench-results/. Every server it starts listens on 127.0.0.1 and is stopped at the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { type ChartSeries, renderChart } from './chart';
import { measureBundles } from './coldstart';
import { runCost } from './cost';
import { Fleet, type RunSpec } from './load';
import { type BenchOptions, parseOptions, type SystemName, USAGE, UsageError } from './options';
import { createProgress, type Progress } from './progress';
import { type BenchReport, checkTargets, renderReport, type SystemReport } from './report';
import { sizeForMillionUsers } from './sizing';
import { measureStartup } from './startup';
import { cdf } from './stats';
import { startSystem, withCpu } from './system';
import { findMaxThroughput, summarizeStep } from './throughput';

const LATENCY_DRAIN_MS = 60_000;
const CALIBRATION_RATE = 500;
const STARTUP_RUNS = 3;

const describe = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

/** Lines a server printed, without the warning every AWS SDK client gives on Node 20. */
function meaningfulOutput(output: string): string[] {
  return output
    .replace(
      /\(node:\d+\) Warning: NodeVersionSupportWarning:[\s\S]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/g,
      '',
    )
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(0, 40);
}

async function benchSystem(
  system: SystemName,
  options: BenchOptions,
  progress: Progress,
): Promise<{ report: SystemReport; chart: ChartSeries }> {
  progress.task(`${system}: starting`);
  const server = await startSystem(
    { system, dynamodb: options.dynamodb, counting: false },
    options.cpuProfile ? resolve(options.outDir) : undefined,
  );
  progress.done(`ready in ${Math.round(server.readyMs)} ms`);
  const chart: ChartSeries = { system, deliverSamples: [], ackSamples: [], steps: [] };
  const report: SystemReport = {
    system,
    readyMs: server.readyMs,
    latency: undefined,
    throughput: undefined,
    calibration: undefined,
    verification: undefined,
    serverOutput: [],
    error: undefined,
  };
  let fleet: Fleet | undefined;
  try {
    progress.task(`${system}: connecting ${options.users} users`);
    const connected = await Fleet.connect(
      { system, wsUrl: server.wsUrl, httpUrl: server.httpUrl },
      options.users,
      (n) => progress.update(n / options.users, `${n}/${options.users}`),
    );
    fleet = connected;
    progress.done();

    if (options.phases.includes('latency')) {
      progress.task(
        `${system}: ${options.rate} msgs/s for ${options.warmupSeconds + options.durationSeconds} s`,
      );
      const spec: RunSpec = {
        rate: options.rate,
        seconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        size: options.size,
        drainTimeoutMs: LATENCY_DRAIN_MS,
      };
      const result = await withCpu(server, () =>
        connected.run(spec, (fraction, status) => progress.update(fraction, status)),
      );
      const { deliverSamples, ackSamples, ...rest } = result;
      report.latency = { ...rest, deliverCdf: cdf(deliverSamples), ackCdf: cdf(ackSamples) };
      chart.deliverSamples = deliverSamples;
      chart.ackSamples = ackSamples;
      progress.done(
        `p99 ${result.deliver.p99.toFixed(1)} ms, ${result.unacked} unacknowledged, ${result.undelivered} undelivered, ${result.duplicates} duplicated`,
      );
    }

    if (options.phases.includes('max')) {
      if (system === 'persist' && options.max.fixedRate === undefined) {
        progress.task(`persist: ${CALIBRATION_RATE} msgs/s (calibration)`);
        const calibration: RunSpec = {
          rate: CALIBRATION_RATE,
          seconds: options.max.stepSeconds,
          warmupSeconds: 1,
          size: options.size,
          drainTimeoutMs: LATENCY_DRAIN_MS,
        };
        const result = await withCpu(server, () =>
          connected.run(calibration, (fraction, status) => progress.update(fraction, status)),
        );
        report.calibration = summarizeStep(result, options.max.p99LimitMs);
        progress.done(`p99 ${result.deliver.p99.toFixed(1)} ms`);
      }
      progress.task(`${system}: max throughput`);
      const throughput = await findMaxThroughput(server, connected, options, (rate, fraction, status) =>
        progress.update(fraction, `step ${rate}/s · ${status}`),
      );
      report.throughput = throughput;
      chart.steps = throughput.steps;
      progress.done(`max sustained ${throughput.maxSustained} msgs/s`);
    }
    progress.task(`${system}: checking every message`);
    report.verification = await connected.verify(system === 'chat' ? 'history' : 'live');
    progress.done();
  } catch (error) {
    report.error = describe(error);
    progress.note(`${system} failed: ${report.error}`);
  } finally {
    fleet?.close();
    await server.stop();
    report.serverOutput = meaningfulOutput(server.output());
  }
  return { report, chart };
}

/** The options, or the exit code when there is nothing to run (--help, or a mistake). */
function optionsOrExitCode(): BenchOptions | number {
  try {
    const options = parseOptions(process.argv.slice(2));
    if (options) return options;
    console.log(USAGE);
    return 0;
  } catch (error) {
    // parseArgs throws a TypeError with a code for an unknown or malformed option.
    if (!(error instanceof UsageError || (error instanceof TypeError && 'code' in error))) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    return 2;
  }
}

async function main(): Promise<number> {
  const options = optionsOrExitCode();
  if (typeof options === 'number') return options;
  const progress = createProgress(options.progress);
  const startedAt = new Date();
  const loadAverageStart = loadavg();
  const systems: SystemReport[] = [];
  const charts: ChartSeries[] = [];
  const errors: string[] = [];
  /** Work that fails is reported and the rest still runs. */
  const attempt = async <T>(name: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      errors.push(`${name}: ${describe(error)}`);
      progress.note(`${name} failed: ${describe(error)}`);
      return undefined;
    }
  };
  const phase = <T>(name: string, work: () => Promise<T>) =>
    attempt(name, async () => {
      progress.task(name);
      const result = await work();
      progress.done();
      return result;
    });

  if (options.phases.includes('latency') || options.phases.includes('max')) {
    for (const system of options.systems) {
      const measured = await attempt(system, () => benchSystem(system, options, progress));
      if (measured) {
        systems.push(measured.report);
        charts.push(measured.chart);
      }
    }
  }

  const cost = !options.phases.includes('cost')
    ? undefined
    : await phase('cost: counting AWS calls per flow', async () => {
        const server = await startSystem({ system: 'chat', dynamodb: options.dynamodb, counting: true });
        try {
          return await runCost(server, options.costSamples, progress);
        } finally {
          await server.stop();
        }
      });

  const bundles = !options.phases.includes('cold')
    ? undefined
    : await phase('cold start: bundling and loading each function', () =>
        measureBundles(options.loadRuns, (fraction, name) => progress.update(fraction, name)),
      );
  const startup = !options.phases.includes('start')
    ? undefined
    : await phase('npm start', () =>
        measureStartup(STARTUP_RUNS, (fraction) => progress.update(fraction, '')),
      );

  const partial: Omit<BenchReport, 'targets'> = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      node: process.versions.node,
      loadAverageStart,
      loadAverageEnd: loadavg(),
    },
    options,
    systems,
    cost,
    bundles,
    startup,
    sizing: cost && sizeForMillionUsers(cost),
    errors: [
      ...errors,
      ...systems.flatMap((system) => (system.error ? [`${system.system}: ${system.error}`] : [])),
    ],
  };
  const report: BenchReport = { ...partial, targets: checkTargets(partial) };

  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const jsonFile = join(outDir, `bench-${stamp}.json`);
  const svgFile = join(outDir, `bench-${stamp}.svg`);
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const subtitle = `send→deliver latency at ${options.rate} msgs/s, ${options.users} users; ${startedAt.toISOString()}`;
  writeFileSync(svgFile, renderChart(charts, subtitle, options.max.p99LimitMs));

  console.log(renderReport(report));
  for (const system of systems.filter((s) => s.serverOutput.length > 0)) {
    console.log(`\n${system.system} server printed:\n  ${system.serverOutput.join('\n  ')}`);
  }
  console.log(`\nWrote ${jsonFile}\n      ${svgFile}`);
  const lossy = systems.some(
    (s) => s.verification && (s.verification.lost > 0 || s.verification.duplicates > 0),
  );
  return lossy ? 1 : 0;
}

// Ctrl-C runs the 'exit' handlers (they stop what is still running); forked servers stop when their
// IPC channel closes.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
