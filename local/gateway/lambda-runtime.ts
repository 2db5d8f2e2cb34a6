import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import type { GatewayEvent, LambdaContext, LambdaHandler, LocalFunction } from './types';

export const REGION = 'local';
export const ACCOUNT_ID = '000000000000';

/** The invocation a piece of code runs for, in a handler and in every call it makes: for instruments. */
export interface InvocationScope {
  readonly functionName: string;
}

/**
 * Each invocation runs inside its own scope, so that an observer in this process (the bench's count of
 * a handler's DynamoDB round trips) can tell whose an outgoing request is: instances share one process.
 */
export const invocationScope = new AsyncLocalStorage<InvocationScope>();

export interface LambdaRuntime {
  has(functionName: string): boolean;
  /**
   * Runs a function in an idle instance, or a new one when all are busy (a cold start), with a
   * context that counts down the function's own timeout. Rejects with the handler's error, or with
   * Lambda's timeout error; a handler cannot be stopped, so one that overruns goes on unobserved and
   * its instance is never used again.
   */
  invoke(functionName: string, event: unknown): Promise<unknown>;
  /** Instances each function has started so far (busy or idle). */
  instanceCount(functionName: string): number;
  /** Resolves once nothing is in flight, including invocations started while waiting. */
  drain(): Promise<void>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** For logs only: handler errors never reach clients. */
export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

function callbackStyleUnsupported(): never {
  throw new Error('context.done/succeed/fail are not supported by the local runtime: return a promise');
}

function createContext(functionName: string, deadline: number): LambdaContext {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyleUnsupported,
    fail: callbackStyleUnsupported,
    succeed: callbackStyleUnsupported,
  };
}

export function createLambdaRuntime(
  functions: Readonly<Record<string, LocalFunction>>,
  onEvent?: (event: GatewayEvent) => void,
): LambdaRuntime {
  const inFlight = new Set<Promise<void>>();
  const idle = new Map<string, LambdaHandler[]>();
  const started = new Map<string, number>();

  const has = (functionName: string) => Object.hasOwn(functions, functionName);

  /** An idle instance, or a new one: https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html */
  async function acquire(functionName: string, fn: LocalFunction): Promise<LambdaHandler> {
    const reused = idle.get(functionName)?.pop();
    if (reused !== undefined) return reused;
    started.set(functionName, (started.get(functionName) ?? 0) + 1);
    return fn.createInstance();
  }

  async function run(functionName: string, fn: LocalFunction, event: unknown): Promise<unknown> {
    const deadline = Date.now() + fn.timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), fn.timeoutMs);
    });
    try {
      // The cold start counts against the timeout, as Lambda's init phase does for on-demand functions.
      const instance = await Promise.race([acquire(functionName, fn), timeout]);
      if (instance === 'timeout') throw timedOut(fn.timeoutMs);
      const context = createContext(functionName, deadline);
      // A handler that throws synchronously must reject like an async one.
      const result = invocationScope.run({ functionName }, () =>
        Promise.resolve().then(() => instance(event, context)),
      );
      const outcome = await Promise.race([
        result.then(
          (value) => ({ ok: true as const, value }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
        timeout,
      ]);
      // Lambda restarts an environment whose invocation timed out; one whose handler threw is reused.
      if (outcome === 'timeout') throw timedOut(fn.timeoutMs);
      release(functionName, instance);
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } finally {
      clearTimeout(timer);
    }
  }

  function release(functionName: string, instance: LambdaHandler): void {
    const list = idle.get(functionName) ?? [];
    list.push(instance);
    idle.set(functionName, list);
  }

  return {
    has,
    instanceCount: (functionName) => started.get(functionName) ?? 0,
    invoke(functionName, event) {
      const fn = has(functionName) ? functions[functionName] : undefined;
      if (fn === undefined) return Promise.reject(new Error(`Function not found: ${functionName}`));
      const begun = performance.now();
      onEvent?.({ type: 'invokeStart', function: functionName });
      const outcome = run(functionName, fn, event);
      const report = (failed: boolean) =>
        onEvent?.({ type: 'invoke', function: functionName, durationMs: performance.now() - begun, failed });
      const settled = outcome.then(
        () => report(false),
        () => report(true),
      );
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return outcome;
    },
    async drain() {
      while (inFlight.size > 0) await Promise.all(inFlight);
    },
  };
}

function timedOut(timeoutMs: number): Error {
  return new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
}
