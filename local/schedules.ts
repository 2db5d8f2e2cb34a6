import { randomUUID } from 'node:crypto';
import type { ScheduleDefinition } from '../contract/routes';
import { ACCOUNT_ID, createLambdaRuntime, describeError, REGION } from './gateway/lambda-runtime';
import type { LambdaHandler } from './gateway/types';

export interface ScheduleOptions {
  schedules: readonly ScheduleDefinition[];
  functions: Readonly<Record<string, LambdaHandler>>;
  /** Overrides of each function's interval; tests shorten them. */
  everyMs?: Partial<Record<string, number>>;
  log: (line: string) => void;
}

export interface ScheduleRunner {
  /** Stops the timers and waits for runs in flight. */
  stop(): Promise<void>;
}

/** A Lambda timeout for scheduled runs: they are not bounded by API Gateway's 29 s. */
const RUN_TIMEOUT_MS = 60_000;

/** The event EventBridge sends to a rule's target; our scheduled functions ignore its content. */
function scheduledEvent(functionName: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT_ID,
    time: new Date().toISOString(),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/${functionName}`],
    detail: {},
  };
}

/**
 * Runs each scheduled function on its interval, as the stack's EventBridge rules do. A run still
 * going when the next one is due is not doubled up. The timers never keep the process alive.
 */
export function startSchedules(options: ScheduleOptions): ScheduleRunner {
  const runtime = createLambdaRuntime(options.functions);
  const running = new Set<string>();
  const timers = options.schedules.map(({ function: name, everyMs }) => {
    const timer = setInterval(() => {
      if (running.has(name)) return;
      running.add(name);
      runtime
        .invoke(name, scheduledEvent(name), RUN_TIMEOUT_MS)
        .catch((error: unknown) => options.log(`[schedule] ${name} failed: ${describeError(error)}`))
        .finally(() => running.delete(name));
    }, options.everyMs?.[name] ?? everyMs);
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await runtime.drain();
    },
  };
}
