import type { Fleet, RunResult } from './load';
import type { BenchOptions } from './options';
import { type CpuPerMessage, type SystemProcess, withCpu } from './system';

export type StepSummary = Omit<RunResult, 'deliverSamples' | 'ackSamples'> & {
  cpuMsPerMessage: CpuPerMessage;
  pass: boolean;
  why: string;
};

export interface ThroughputResult {
  steps: StepSummary[];
  /** Highest offered rate of a passing step (0 when none passed). */
  maxSustained: number;
  /** Most deliveries per second seen in any step, sustained or not. */
  peakDelivered: number;
  /** The generator fell behind its schedule in a passing step: the ceiling may be the generator's. */
  generatorBound: boolean;
}

/** Deliveries inside a step may trail the offered rate by the messages still in flight at its end. */
const DELIVERED_SHARE = 0.95;
/** A generator this far behind schedule is itself the bottleneck. */
const GENERATOR_LAG_MS = 200;
const STEP_DRAIN_MS = 30_000;
const LOWEST_RATE = 5;

export function summarizeStep(
  result: RunResult & { cpuMsPerMessage: CpuPerMessage },
  p99LimitMs: number,
): StepSummary {
  const { deliverSamples: _deliver, ackSamples: _ack, ...rest } = result;
  const problems: string[] = [];
  if (result.unacked > 0) problems.push(`${result.unacked} unacknowledged`);
  if (result.undelivered > 0) problems.push(`${result.undelivered} stored but not delivered`);
  if (result.duplicates > 0) problems.push(`${result.duplicates} duplicated`);
  if (Object.keys(result.refused).length > 0) problems.push(`refused ${JSON.stringify(result.refused)}`);
  if (!(result.deliver.p99 <= p99LimitMs))
    problems.push(`p99 ${result.deliver.p99.toFixed(0)} ms > ${p99LimitMs}`);
  if (result.deliveredPerSecond < DELIVERED_SHARE * result.offeredRate) {
    problems.push(
      `delivered ${result.deliveredPerSecond.toFixed(0)}/s < ${DELIVERED_SHARE * 100}% of offered`,
    );
  }
  return { ...rest, pass: problems.length === 0, why: problems.join(', ') || 'sustained' };
}

/**
 * Finds the highest rate a system sustains: a coarse geometric ramp until a step fails (or, when the
 * first step fails, down until one passes), then bisection between the last pass and the first fail.
 */
export async function findMaxThroughput(
  system: SystemProcess,
  fleet: Fleet,
  options: BenchOptions,
  onStep: (rate: number, fraction: number, status: string) => void,
): Promise<ThroughputResult> {
  const { max } = options;
  const steps: StepSummary[] = [];
  const warmupSeconds = Math.min(1, max.stepSeconds / 4);
  const runStep = async (rate: number): Promise<StepSummary> => {
    const result = await withCpu(system, () =>
      fleet.run(
        { rate, seconds: max.stepSeconds, warmupSeconds, size: options.size, drainTimeoutMs: STEP_DRAIN_MS },
        (fraction, status) => onStep(rate, fraction, status),
      ),
    );
    const step = summarizeStep(result, max.p99LimitMs);
    steps.push(step);
    return step;
  };

  if (max.fixedRate !== undefined) {
    await runStep(max.fixedRate);
  } else {
    let pass: number | undefined;
    let fail: number | undefined;
    let rate = Math.min(max.startRate, max.capRate);
    while (pass === undefined || fail === undefined) {
      const step = await runStep(rate);
      if (step.pass) pass = rate;
      else fail = rate;
      if (pass !== undefined && fail === undefined) {
        if (rate >= max.capRate || step.maxScheduleLagMs > GENERATOR_LAG_MS) break;
        rate = Math.min(max.capRate, rate * max.factor);
      } else if (pass === undefined) {
        if (rate <= LOWEST_RATE) break;
        rate = Math.max(LOWEST_RATE, rate / max.factor);
      }
    }
    for (let i = 0; i < max.refine && pass !== undefined && fail !== undefined; i++) {
      const middle = Math.round(Math.sqrt(pass * fail));
      if (middle === pass || middle === fail) break;
      if ((await runStep(middle)).pass) pass = middle;
      else fail = middle;
    }
  }

  const passing = steps.filter((step) => step.pass);
  return {
    steps,
    maxSustained: passing.reduce((best, step) => Math.max(best, step.offeredRate), 0),
    peakDelivered: steps.reduce((best, step) => Math.max(best, step.deliveredPerSecond), 0),
    generatorBound: passing.some((step) => step.maxScheduleLagMs > GENERATOR_LAG_MS),
  };
}
