/**
 * What CloudWatch does with a function's output, done locally: Lambda sends everything a function
 * writes to stdout and stderr to CloudWatch Logs, and CloudWatch turns the Embedded Metric Format
 * records among those lines into metrics.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * The functions run in this process, so their lines are picked out of its output: a JSON object with
 * `level` and `message` is a log record, one with `_aws` a metric record; everything else passes.
 */

export type LogRecord = Record<string, unknown> & { level: string; message: string; timestamp: string };

export interface MetricTotal {
  /** `Name` or `Name{dimension=value,…}` beyond the `service` dimension every metric carries. */
  key: string;
  sum: number;
  /** Values recorded: for a per-invocation count (a fan-out), sum / samples is its mean. */
  samples: number;
  max: number;
}

export interface Telemetry {
  /** The latest log records, oldest first (at most RECENT_LOGS). */
  logs(): readonly LogRecord[];
  metrics(): MetricTotal[];
  /** The metrics as a plain-text table (the `/metrics` page, and the summary on exit). */
  report(): string;
  stop(): void;
}

const RECENT_LOGS = 2000;

type Sink = (record: Record<string, unknown>) => boolean;
const sinks = new Set<Sink>();
let restore: (() => void) | undefined;

/** Wraps stdout and stderr once for all telemetry instances in the process. */
function install(): void {
  if (restore) return;
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write);
  for (const [i, stream] of streams.entries()) {
    const original = originals[i];
    if (!original) continue;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string' && chunk.startsWith('{') && consumed(chunk)) {
        const callback = rest.find((arg) => typeof arg === 'function');
        if (typeof callback === 'function') queueMicrotask(() => callback());
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
  }
  restore = () => {
    for (const [i, stream] of streams.entries()) {
      const original = originals[i];
      if (original) stream.write = original;
    }
  };
}

function consumed(chunk: string): boolean {
  let record: unknown;
  try {
    record = JSON.parse(chunk);
  } catch {
    return false;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return false;
  let taken = false;
  for (const sink of sinks) taken = sink(record as Record<string, unknown>) || taken;
  return taken;
}

function isLogRecord(record: Record<string, unknown>): record is LogRecord {
  return (
    typeof record.level === 'string' &&
    typeof record.message === 'string' &&
    typeof record.timestamp === 'string'
  );
}

interface EmfDirective {
  Dimensions?: string[][];
  Metrics?: { Name: string }[];
}

/** The metric values of an EMF record, keyed by name and the dimensions beyond `service`. */
function emfValues(record: Record<string, unknown>): { key: string; values: number[] }[] {
  const aws = record._aws;
  if (typeof aws !== 'object' || aws === null || !('CloudWatchMetrics' in aws)) return [];
  const directives = (aws as { CloudWatchMetrics: EmfDirective[] }).CloudWatchMetrics;
  return directives.flatMap((directive) => {
    const dimensions = (directive.Dimensions?.[0] ?? []).filter((name) => name !== 'service');
    const suffix = dimensions.length
      ? `{${dimensions.map((name) => `${name}=${String(record[name])}`).join(',')}}`
      : '';
    return (directive.Metrics ?? []).map(({ Name }) => {
      const raw = record[Name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
      // Several values of one metric in a record are one invocation's; they count as one sample.
      return { key: `${Name}${suffix}`, values: [values.reduce((a, b) => a + b, 0)] };
    });
  });
}

/**
 * Starts collecting the functions' log records and metrics. Each log record is handed to `onLog`
 * (the runtime's readable output) and kept among the recent ones.
 */
export function collectTelemetry(onLog: (record: LogRecord) => void): Telemetry {
  const logs: LogRecord[] = [];
  const totals = new Map<string, MetricTotal>();
  const sink: Sink = (record) => {
    if ('_aws' in record) {
      for (const { key, values } of emfValues(record)) {
        const total = totals.get(key) ?? { key, sum: 0, samples: 0, max: 0 };
        for (const value of values) {
          total.sum += value;
          total.samples++;
          total.max = Math.max(total.max, value);
        }
        totals.set(key, total);
      }
      return true;
    }
    if (!isLogRecord(record)) return false;
    logs.push(record);
    if (logs.length > RECENT_LOGS) logs.shift();
    onLog(record);
    return true;
  };
  install();
  sinks.add(sink);
  const metrics = () => [...totals.values()].sort((a, b) => a.key.localeCompare(b.key));
  return {
    logs: () => logs,
    metrics,
    report: () => {
      const rows = metrics().map(
        (t) => `${t.key.padEnd(36)} ${String(t.sum).padStart(8)}   per record max ${t.max}`,
      );
      return rows.length ? rows.join('\n') : '(no metrics yet)';
    },
    stop: () => {
      sinks.delete(sink);
      if (sinks.size === 0) {
        restore?.();
        restore = undefined;
      }
    },
  };
}

const SHORT_KEYS: Record<string, string> = {
  userId: 'user',
  deviceId: 'device',
  connectionId: 'conn',
  requestId: 'req',
  messageId: 'msg',
  conversationId: 'conv',
};
/** Keys every line has, or that say nothing to a developer reading along. */
const HIDDEN = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'sampling_rate',
  'xray_trace_id',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_request_id',
  'function_name',
  'apiRequestId',
  'route',
]);

/** One log record as one readable line: time, level, function, message, then the keys. */
export function formatLogRecord(record: LogRecord): string {
  const time = record.timestamp.slice(11, 23);
  const where = String(record.function_name ?? record.route ?? '');
  const keys = Object.entries(record)
    .filter(([name]) => !HIDDEN.has(name))
    .map(
      ([name, value]) =>
        `${SHORT_KEYS[name] ?? name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
    );
  return [time, record.level.padEnd(5), where.padEnd(17), record.message, ...keys].join(' ');
}
