import { randomBytes, randomUUID } from 'node:crypto';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { GatewayEvent, LambdaContext, LambdaHandler } from './types';

export const REGION = 'local';
export const ACCOUNT_ID = '000000000000';

export interface LambdaRuntime {
  has(functionName: string): boolean;
  /**
   * Runs a function with a fresh context. Rejects with the handler's error, or with a timeout error
   * after timeoutMs; a handler cannot be stopped, so one that overruns goes on unobserved.
   */
  invoke(functionName: string, event: unknown, timeoutMs: number): Promise<unknown>;
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
  functions: Readonly<Record<string, LambdaHandler>>,
  onEvent?: (event: GatewayEvent) => void,
): LambdaRuntime {
  const inFlight = new Set<Promise<void>>();

  const has = (functionName: string) => Object.hasOwn(functions, functionName);

  return {
    has,
    invoke(functionName, event, timeoutMs) {
      const handler = has(functionName) ? functions[functionName] : undefined;
      if (handler === undefined) return Promise.reject(new Error(`Function not found: ${functionName}`));
      const context = createContext(functionName, Date.now() + timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)),
          timeoutMs,
        );
      });
      const started = performance.now();
      onEvent?.({ type: 'invokeStart', function: functionName });
      // Like Lambda's runtime on an instance that serves concurrent invocations (Lambda Managed
      // Instances), each invocation runs in its own InvokeStore context, which keeps the Powertools
      // logger's keys and stored metrics apart:
      // https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-nodejs-runtime.html
      const store = globalThis.awslambda?.InvokeStore;
      const call = () => handler(event, context);
      const scope = { [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: context.awsRequestId };
      // A handler that throws synchronously must reject like an async one.
      const run = Promise.resolve().then(() => (store ? store.run(scope, call) : call()));
      const outcome = Promise.race([run, timeout]).finally(() => clearTimeout(timer));
      const report = (failed: boolean) =>
        onEvent?.({
          type: 'invoke',
          function: functionName,
          durationMs: performance.now() - started,
          failed,
        });
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
