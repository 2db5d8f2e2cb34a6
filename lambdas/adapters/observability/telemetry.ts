import { AsyncLocalStorage } from 'node:async_hooks';
import { ENV, LOG_LEVELS, type LogLevel } from '../../../contract/environment';
import {
  ERROR_CODE_DIMENSION,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
} from '../../../contract/metrics';
import type { ErrorCode } from '../../../contract/protocol/frames';

/**
 * Structured logs and metrics, written to stdout as Lambda's runtime passes them to CloudWatch Logs:
 * one JSON object per log line, and per invocation one Embedded Metric Format record, which CloudWatch
 * turns into metrics without an API call.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 * The keys follow Powertools for AWS Lambda's Logger (`function_name`, `function_request_id`,
 * `cold_start`, `xray_trace_id`), whose own Logger and Metrics cost 34 KB per bundle (docs/scaling.md).
 *
 * Each invocation's keys and counts live in an AsyncLocalStorage, so invocations that share an
 * instance (the local runtime, Lambda Managed Instances) never mix them up.
 */

type Fields = Record<string, unknown>;

interface Invocation {
  keys: Fields;
  counts: Map<MetricName, number>;
  errors: Map<ErrorCode, number>;
}

const RANK: Record<LogLevel, number> = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 };

function logLevelFromEnv(): LogLevel {
  const raw = (process.env[ENV.logLevel] ?? '').toUpperCase();
  if (raw === '') return 'INFO';
  const level = LOG_LEVELS.find((name) => name === raw);
  if (!level) throw new Error(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')}, got ${raw}`);
  return level;
}

const service = process.env[ENV.serviceName] || 'chat';
const threshold = RANK[logLevelFromEnv()];
/**
 * One storage per process, whichever copy of this module asks: the local runtime evaluates a copy per
 * function instance, and Node (before 24) runs every live AsyncLocalStorage's hook on every promise
 * made anywhere in the process, so a storage per instance made each promise cost one hook per instance
 * ever started (a quarter of the local runtime's CPU). Sharing it mixes nothing: a store belongs to the
 * async context that `run` started, not to the storage object. On Lambda there is one copy anyway.
 */
const STORAGE = Symbol.for('chat.telemetry.invocations');
const shared = globalThis as { [STORAGE]?: AsyncLocalStorage<Invocation> };
shared[STORAGE] ??= new AsyncLocalStorage<Invocation>();
const storage = shared[STORAGE];
const fresh = (keys: Fields = {}): Invocation => ({ keys, counts: new Map(), errors: new Map() });
/** Where keys and counts go outside an invocation (adapters used by tests or the benchmark): nowhere. */
const detached = fresh();
let coldStart = true;

const current = () => storage.getStore() ?? detached;

function write(record: Fields): void {
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

function log(level: LogLevel, message: string, fields: Fields = {}): void {
  if (RANK[level] < threshold) return;
  write({ level, message, timestamp: new Date().toISOString(), service, ...current().keys, ...fields });
}

/** The error and its causes, with stacks: for the log, never for a client. */
function describe(error: unknown): Fields {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(error.cause === undefined ? {} : { cause: describe(error.cause) }),
  };
}

export const logger = {
  debug: (message: string, fields?: Fields) => log('DEBUG', message, fields),
  info: (message: string, fields?: Fields) => log('INFO', message, fields),
  warn: (message: string, fields?: Fields) => log('WARN', message, fields),
  error: (message: string, error: unknown, fields?: Fields) =>
    log('ERROR', message, { ...fields, error: describe(error) }),
};

/** Adds keys to every later log line of this invocation. */
export function appendKeys(keys: Fields): void {
  Object.assign(current().keys, keys);
}

/** Counts one occurrence (or `value`) of a use-case metric in this invocation. */
export function count(name: MetricName, value = 1): void {
  const { counts } = current();
  counts.set(name, (counts.get(name) ?? 0) + value);
}

/** Counts one error frame; errors carry their code as a second dimension. */
export function countError(code: ErrorCode): void {
  const { errors } = current();
  errors.set(code, (errors.get(code) ?? 0) + 1);
}

function emf(dimensions: string[], values: Fields): Fields {
  const names = Object.keys(values).filter((name) => !dimensions.includes(name));
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [dimensions],
          Metrics: names.map((name) => ({ Name: name, Unit: 'Count' })),
        },
      ],
    },
    ...values,
  };
}

/** Writes this invocation's counts as EMF records: one for the use cases, one per error code. */
function flush(invocation: Invocation): void {
  if (invocation.counts.size > 0) {
    write(
      emf([SERVICE_DIMENSION], { [SERVICE_DIMENSION]: service, ...Object.fromEntries(invocation.counts) }),
    );
  }
  for (const [code, errors] of invocation.errors) {
    write(
      emf([SERVICE_DIMENSION, ERROR_CODE_DIMENSION], {
        [SERVICE_DIMENSION]: service,
        [ERROR_CODE_DIMENSION]: code,
        Errors: errors,
      }),
    );
  }
}

/** The parts of Lambda's context object the log lines carry. */
function contextKeys(context: unknown): Fields {
  if (typeof context !== 'object' || context === null) return {};
  const { functionName, awsRequestId } = context as { functionName?: unknown; awsRequestId?: unknown };
  const traceId = process.env._X_AMZN_TRACE_ID;
  return {
    ...(typeof functionName === 'string' && { function_name: functionName }),
    ...(typeof awsRequestId === 'string' && { function_request_id: awsRequestId }),
    ...(traceId && { xray_trace_id: traceId.split(';')[0]?.replace('Root=', '') }),
  };
}

/** Runs one invocation with its own keys and counts, and writes its metrics when it ends. */
export async function withInvocation<R>(context: unknown, run: () => Promise<R>): Promise<R> {
  const invocation = fresh({ ...contextKeys(context), cold_start: coldStart });
  coldStart = false;
  return storage.run(invocation, async () => {
    try {
      return await run();
    } finally {
      flush(invocation);
    }
  });
}
