import { randomUUID } from 'node:crypto';
import type { ScheduleDefinition } from '../contract/routes';
import { ACCOUNT_ID, describeError, REGION } from './gateway/lambda-runtime';

export interface ScheduleOptions {
  schedules: readonly ScheduleDefinition[];
  /** Runs a function in one of its instances, as the Lambda service does for EventBridge. */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** Overrides of each function's interval; tests shorten them. */
  everyMs?: Partial<Record<string, number>>;
  log: (line: string) => void;
}

export interface ScheduleRunner {
  /** Stops the timers and waits for runs in flight. */
  stop(): Promise<void>;
}

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
  const running = new Set<string>();
  const inFlight = new Set<Promise<void>>();
  const timers = options.schedules.map(({ function: name, everyMs }) => {
    const timer = setInterval(() => {
      if (running.has(name)) return;
      running.add(name);
      const run: Promise<void> = options
        .invoke(name, scheduledEvent(name))
        .then(
          () => {},
          (error: unknown) => options.log(`[schedule] ${name} failed: ${describeError(error)}`),
        )
        .finally(() => {
          running.delete(name);
          inFlight.delete(run);
        });
      inFlight.add(run);
    }, options.everyMs?.[name] ?? everyMs);
    timer.unref();
    return timer;
  });
  return {
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}
