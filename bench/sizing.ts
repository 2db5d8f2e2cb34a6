import { LIMITS } from '../contract/limits';
import type { CostResult, FlowCost } from './cost';
import { combine, PRICES, type Usage } from './pricing';

/** A day of one million users; docs/scaling.md explains each number. */
export const ASSUMPTIONS = {
  dailyUsers: 1_000_000,
  messagesPerUserPerDay: 40,
  connectedMinutesPerUserPerDay: 60,
  sessionsPerUserPerDay: 8,
  /** Share of the day's traffic in its busiest hour. */
  peakHourShare: 0.1,
  /** Busiest second over the busiest hour's average. */
  burstFactor: 2,
  /** Lambda on AWS (256 MB, DynamoDB over the network) over the local durations. */
  awsDurationFactor: 3,
} as const;

export interface Sizing {
  assumptions: typeof ASSUMPTIONS;
  peak: {
    messagesPerSecond: number;
    concurrentConnections: number;
    connectsPerSecond: number;
    heartbeatsPerSecond: number;
    /** Client frames (route invocations): what stage throttling counts. */
    framesInPerSecond: number;
    /** @connections POSTs: they count against the account's API Gateway request quota too. */
    postsPerSecond: number;
    billedApiMessagesPerSecond: number;
    lambdaInvocationsPerSecond: number;
    lambdaConcurrency: number;
    dynamo: Record<string, { readUnits: number; writeUnits: number; calls: number }>;
  };
  perDay: {
    messages: number;
    heartbeats: number;
    /** The sweeper's reads of live connections. */
    sweeps: number;
    sessions: number;
    connectionMinutes: number;
    total: number;
  };
}

/** Read and write units per second by table, from usage keyed `Operation table`. */
function byTable(usage: Usage): Sizing['peak']['dynamo'] {
  const tables: Sizing['peak']['dynamo'] = {};
  for (const [key, count] of Object.entries(usage.dynamo)) {
    const table = key.split(' ').slice(1).join(' ');
    const into = tables[table] ?? { readUnits: 0, writeUnits: 0, calls: 0 };
    into.readUnits += count.readUnits;
    into.writeUnits += count.writeUnits;
    into.calls += count.calls;
    tables[table] = into;
  }
  return tables;
}

/** The busiest second of a day of ASSUMPTIONS, from the measured per-flow usage. */
export function sizeForMillionUsers(cost: CostResult): Sizing | undefined {
  const flow = (name: string): FlowCost | undefined => cost.flows.find((f) => f.flow === name);
  const message = flow('chat-open-library') ?? flow('chat-open');
  const heartbeat = flow('heartbeat');
  const session = flow('session');
  const sweep = flow('sweep');
  if (!message || !heartbeat || !session || !sweep) return undefined;
  const a = ASSUMPTIONS;
  const peakSeconds = (perDay: number) => ((perDay * a.peakHourShare) / 3600) * a.burstFactor;
  const messagesPerSecond = peakSeconds(a.dailyUsers * a.messagesPerUserPerDay);
  const concurrentConnections = (a.dailyUsers * a.connectedMinutesPerUserPerDay * a.peakHourShare) / 60;
  const connectsPerSecond = peakSeconds(a.dailyUsers * a.sessionsPerUserPerDay);
  const heartbeatsPerSecond = concurrentConnections / (LIMITS.heartbeatIntervalMs / 1000);
  const peak = combine([
    { usage: message.usage, weight: messagesPerSecond },
    { usage: heartbeat.usage, weight: heartbeatsPerSecond },
    { usage: session.usage, weight: connectsPerSecond },
    { usage: sweep.usage, weight: concurrentConnections / 3600 },
  ]);
  const lambdaMs = Object.values(peak.lambda).reduce((sum, count) => sum + count.billedMs, 0);

  const connectionMinutes = a.dailyUsers * a.connectedMinutesPerUserPerDay;
  const perDay = {
    messages: a.dailyUsers * a.messagesPerUserPerDay * message.dollars.total,
    heartbeats: (connectionMinutes / (LIMITS.heartbeatIntervalMs / 60_000)) * heartbeat.dollars.total,
    sweeps: (connectionMinutes / 60) * sweep.dollars.total,
    sessions: a.dailyUsers * a.sessionsPerUserPerDay * session.dollars.total,
    connectionMinutes: connectionMinutes * PRICES.apiGatewayConnectionMinute,
  };
  return {
    assumptions: a,
    peak: {
      messagesPerSecond,
      concurrentConnections,
      connectsPerSecond,
      heartbeatsPerSecond,
      framesInPerSecond: peak.apiMessagesIn,
      postsPerSecond: peak.posts,
      billedApiMessagesPerSecond: peak.apiMessagesIn + peak.apiMessagesOut,
      lambdaInvocationsPerSecond: Object.values(peak.lambda).reduce(
        (sum, count) => sum + count.invocations,
        0,
      ),
      lambdaConcurrency: (lambdaMs / 1000) * a.awsDurationFactor,
      dynamo: byTable(peak),
    },
    perDay: { ...perDay, total: Object.values(perDay).reduce((sum, value) => sum + value, 0) },
  };
}
