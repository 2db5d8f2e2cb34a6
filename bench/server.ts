/**
 * The system under test, in its own process so that the load generator never shares its event loop:
 * the chat's local runtime, or one of the two floors. Started by bench/system.ts with a JSON
 * configuration as its only argument; it reports its URLs over IPC, answers counter snapshots, and stops
 * when told to or when its parent goes away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { DynamoEngine } from '../local/dynamodb';
import type { GatewayEvent } from '../local/gateway/server';
import { startRuntime } from '../local/runtime';
import type { S3RequestEvent } from '../local/s3-guard';
import { type Counters, countFrame, emptyCounters } from './counters';
import { startDynamoProxy } from './dynamo-proxy';
import { startFloor } from './floors';
import type { SystemName } from './options';
import { trackRoundTrips } from './round-trips';

export interface ServerConfig {
  system: SystemName;
  dynamodb: DynamoEngine;
  /** Counts AWS calls (cost phase). It adds a proxy hop, so latency and throughput runs go without. */
  counting: boolean;
}

export type ServerReport =
  | {
      type: 'ready';
      wsUrl: string;
      httpUrl: string | undefined;
      /** The local Web Push service's origin (the chat system only). */
      pushServiceUrl: string | undefined;
      readyMs: number;
    }
  | { type: 'counters'; counters: Counters; cpu: CpuUsage }
  | { type: 'failed'; error: string };

/** CPU time used so far (ms): this process, and its children (the DynamoDB server). */
export interface CpuUsage {
  serverMs: number;
  childrenMs: number | undefined;
}

export type ServerCommand = { type: 'counters' } | { type: 'stop' };

interface Started {
  wsUrl: string;
  httpUrl: string | undefined;
  pushServiceUrl: string | undefined;
  counters(): Counters;
  stop(): Promise<void>;
}

function recordGatewayEvent(counters: Counters, event: GatewayEvent): void {
  switch (event.type) {
    case 'invokeStart':
      counters.invocationsInFlight++;
      return;
    case 'invoke': {
      counters.invocationsInFlight--;
      counters.lambda[event.function] ??= { invocations: 0, failures: 0, durationMs: 0, billedMs: 0 };
      const count = counters.lambda[event.function];
      if (!count) return;
      count.invocations++;
      if (event.failed) count.failures++;
      count.durationMs += event.durationMs;
      count.billedMs += Math.max(1, Math.ceil(event.durationMs));
      return;
    }
    case 'frame':
      countFrame(event.direction === 'in' ? counters.framesIn : counters.framesOut, event.bytes);
      return;
    case 'connections': {
      const key = `${event.method} ${event.statusCode}`;
      counters.connections[key] = (counters.connections[key] ?? 0) + 1;
    }
  }
}

async function startChat(config: ServerConfig): Promise<Started> {
  const counters = emptyCounters();
  const runtime = await startRuntime({
    dynamodb: config.dynamodb,
    log: () => {},
    // A few simulated users send far faster than people; the counters are still written (and costed).
    rateLimitFactor: 1000,
    ...(config.counting && {
      onGatewayEvent: (event: GatewayEvent) => recordGatewayEvent(counters, event),
      onS3Request: (event: S3RequestEvent) => {
        const count = counters.s3[event.operation] ?? { requests: 0, bytesOut: 0 };
        counters.s3[event.operation] = count;
        count.requests++;
        count.bytesOut += event.bytesOut;
      },
    }),
  });
  const proxy = config.counting ? await startDynamoProxy(runtime.dynamoEndpoint) : undefined;
  // The handlers' client resolves its endpoint from the environment at its first request, which has
  // not happened yet: from now on their calls go through the proxy. The cost phase checks that it
  // saw them, so a change in that behaviour fails loudly instead of counting nothing.
  if (proxy) process.env.AWS_ENDPOINT_URL_DYNAMODB = proxy.endpoint;
  const stopTracking = config.counting ? trackRoundTrips(counters.roundTrips) : undefined;
  return {
    wsUrl: runtime.wsUrl,
    httpUrl: runtime.httpUrl,
    pushServiceUrl: runtime.pushService.origin,
    counters: () => ({ ...counters, dynamo: proxy?.counts ?? {} }),
    stop: async () => {
      stopTracking?.();
      await runtime.stop();
      await proxy?.close();
    },
  };
}

async function start(config: ServerConfig): Promise<Started> {
  if (config.system === 'chat') return startChat(config);
  const floor = await startFloor({ persist: config.system === 'persist' ? config.dynamodb : undefined });
  return {
    wsUrl: floor.wsUrl,
    httpUrl: undefined,
    pushServiceUrl: undefined,
    counters: emptyCounters,
    stop: () => floor.stop(),
  };
}

/** Linux's clock ticks per second for /proc times; nearly always 100. */
const CLOCK_TICKS = 100;

/** CPU of this process's children, from /proc (undefined where there is none). */
function childrenCpuMs(): number | undefined {
  try {
    let ticks = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue;
      }
      // Fields after the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      ticks += Number(fields[11]) + Number(fields[12]);
    }
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function cpuUsage(): CpuUsage {
  const usage = process.cpuUsage();
  return { serverMs: (usage.user + usage.system) / 1000, childrenMs: childrenCpuMs() };
}

function send(report: ServerReport): void {
  process.send?.(report);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
  const began = performance.now();
  const started = await start(config);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= started.stop().finally(() => process.exit(0));
    return stopping;
  };
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'counters')
      send({ type: 'counters', counters: started.counters(), cpu: cpuUsage() });
    else void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  send({
    type: 'ready',
    wsUrl: started.wsUrl,
    httpUrl: started.httpUrl,
    pushServiceUrl: started.pushServiceUrl,
    readyMs: performance.now() - began,
  });
}

main().catch((error: unknown) => {
  send({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
