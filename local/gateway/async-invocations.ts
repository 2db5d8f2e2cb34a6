import { ASYNC_INVOCATIONS } from '../../contract/invocations';
import { describeError, type LambdaRuntime } from './lambda-runtime';

/**
 * Lambda's asynchronous invocation, as the Invoke API's `Event` type starts it: the event is run; a
 * failed run is retried ASYNC_INVOCATIONS' `retryAttempts` times (Lambda's default is 2), Lambda
 * waiting about a minute before the first retry and two before the second; an event that still fails
 * goes to the function's failure destination. Locally the waits are `retryDelaysMs` (tests shorten
 * them), the event's maximum age is not enforced, and the destination is `onFailure`.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */

/** What Lambda sends to an on-failure destination, in short: the event, why, and how often it was tried. */
export interface AsyncFailure {
  functionName: string;
  event: unknown;
  /** Runs: the first and each retry. */
  attempts: number;
  error: string;
  failedAt: string;
}

export interface AsyncInvocationOptions {
  /**
   * The pause before each retry.
   * @default [60_000, 120_000]
   */
  retryDelaysMs?: readonly number[];
  onFailure?: (failure: AsyncFailure) => void;
}

export const LAMBDA_RETRY_DELAYS_MS = [60_000, 120_000] as const;

export interface AsyncInvoker {
  /** Queues the event and returns at once, as the Invoke API answers 202. */
  invoke(functionName: string, event: unknown): void;
  /** Forgets the retries still waiting (the runtime is stopping). */
  stop(): void;
}

export function createAsyncInvoker(
  runtime: Pick<LambdaRuntime, 'invoke'>,
  options: AsyncInvocationOptions,
  log: (line: string) => void,
): AsyncInvoker {
  const delays = options.retryDelaysMs ?? LAMBDA_RETRY_DELAYS_MS;
  const waiting = new Set<NodeJS.Timeout>();
  let stopped = false;

  const retriesOf = (functionName: string) =>
    Object.hasOwn(ASYNC_INVOCATIONS, functionName)
      ? ASYNC_INVOCATIONS[functionName as keyof typeof ASYNC_INVOCATIONS].retryAttempts
      : 2;

  function run(functionName: string, event: unknown, attempt: number): void {
    runtime.invoke(functionName, event).catch((error: unknown) => {
      const error_ = describeError(error);
      if (stopped) return;
      if (attempt <= retriesOf(functionName)) {
        const delay = delays[Math.min(attempt - 1, delays.length - 1)] ?? 0;
        log(`[lambda] ${functionName} (Event) failed, retry ${attempt} in ${delay} ms: ${error_}`);
        const timer = setTimeout(() => {
          waiting.delete(timer);
          run(functionName, event, attempt + 1);
        }, delay);
        waiting.add(timer);
        return;
      }
      log(
        `[lambda] ${functionName} (Event) failed ${attempt} time(s); sent to its failure destination: ${error_}`,
      );
      options.onFailure?.({
        functionName,
        event,
        attempts: attempt,
        error: error_,
        failedAt: new Date().toISOString(),
      });
    });
  }

  return {
    invoke: (functionName, event) => run(functionName, event, 1),
    stop() {
      stopped = true;
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
    },
  };
}
