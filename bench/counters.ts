import type { RoundTripCount } from './round-trips';

/**
 * What the cost phase counts at the servers: DynamoDB calls at a proxy in front of the database, and
 * Lambda invocations, frames and @connections requests at the local gateway. Snapshots travel from the
 * server process to the bench as JSON; a flow's cost is the difference of two snapshots.
 */

export interface DynamoOperationCount {
  calls: number;
  /** ConditionalCheckFailedException: the write was refused but DynamoDB still bills it. */
  conditionFailures: number;
  /** Other errors. */
  errors: number;
  readUnits: number;
  writeUnits: number;
}

export interface LambdaCount {
  invocations: number;
  failures: number;
  durationMs: number;
  /** Lambda bills each invocation in whole milliseconds. */
  billedMs: number;
}

export interface FrameCount {
  frames: number;
  bytes: number;
  /** API Gateway bills a WebSocket message per 32 KB. */
  billedMessages: number;
}

export interface S3Count {
  requests: number;
  bytesOut: number;
}

export interface Counters {
  /** Keyed by `Operation table`, e.g. `Query chat-users`. */
  dynamo: Record<string, DynamoOperationCount>;
  lambda: Record<string, LambdaCount>;
  framesIn: FrameCount;
  framesOut: FrameCount;
  /** @connections requests by `METHOD status`, e.g. `POST 200`. */
  connections: Record<string, number>;
  /** Requests that reached the local S3, keyed by operation (`PostObject`, `GetObject presigned`, …). */
  s3: Record<string, S3Count>;
  /** Sequential DynamoDB round trips by function (bench/round-trips.ts). */
  roundTrips: Record<string, RoundTripCount>;
  /** Invocations started and not finished: a flow is over only when this is back to zero. */
  invocationsInFlight: number;
}

export const API_GATEWAY_BILLING_BYTES = 32 * 1024;

export function emptyCounters(): Counters {
  return {
    dynamo: {},
    lambda: {},
    framesIn: { frames: 0, bytes: 0, billedMessages: 0 },
    framesOut: { frames: 0, bytes: 0, billedMessages: 0 },
    connections: {},
    s3: {},
    roundTrips: {},
    invocationsInFlight: 0,
  };
}

export function countFrame(count: FrameCount, bytes: number): void {
  count.frames++;
  count.bytes += bytes;
  count.billedMessages += Math.max(1, Math.ceil(bytes / API_GATEWAY_BILLING_BYTES));
}

/** Field-wise `after - before` of two records of counts; keys missing in `before` count from zero. */
function subtractRecord<T extends object>(
  after: Record<string, T>,
  before: Record<string, T>,
): Record<string, T> {
  const result: Record<string, T> = {};
  for (const [key, value] of Object.entries(after)) {
    const base = before[key];
    const entry = {} as T;
    let nonZero = false;
    for (const field of Object.keys(value) as (keyof T & string)[]) {
      const difference = Number(value[field]) - Number(base?.[field] ?? 0);
      (entry as Record<string, number>)[field] = difference;
      if (difference !== 0) nonZero = true;
    }
    if (nonZero) result[key] = entry;
  }
  return result;
}

export function subtractCounters(after: Counters, before: Counters): Counters {
  const frames = (a: FrameCount, b: FrameCount): FrameCount => ({
    frames: a.frames - b.frames,
    bytes: a.bytes - b.bytes,
    billedMessages: a.billedMessages - b.billedMessages,
  });
  const connections: Record<string, number> = {};
  for (const [key, value] of Object.entries(after.connections)) {
    const difference = value - (before.connections[key] ?? 0);
    if (difference !== 0) connections[key] = difference;
  }
  return {
    dynamo: subtractRecord(after.dynamo, before.dynamo),
    lambda: subtractRecord(after.lambda, before.lambda),
    framesIn: frames(after.framesIn, before.framesIn),
    framesOut: frames(after.framesOut, before.framesOut),
    connections,
    s3: subtractRecord(after.s3, before.s3),
    roundTrips: subtractRecord(after.roundTrips, before.roundTrips),
    invocationsInFlight: after.invocationsInFlight,
  };
}
