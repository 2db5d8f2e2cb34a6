import { appendKeys, logger, withInvocation } from '../../adapters/observability/telemetry';

/**
 * What every log line of an invocation carries, where known. Set only here and by the route adapter
 * (route.ts), never by a handler; never a token or a message's text.
 */
export interface Correlation {
  userId?: string;
  deviceId?: string;
  connectionId?: string;
  /** API Gateway's route key: `$connect`, `sendMessage`, … */
  route?: string;
  /** The frame's action. */
  action?: string;
  /** The client's request id from the frame, echoed on the reply. */
  requestId?: string;
  /** API Gateway's id of the request. */
  apiRequestId?: string;
  messageId?: string;
  conversationId?: string;
}

export function correlate(keys: Correlation): void {
  appendKeys(Object.fromEntries(Object.entries(keys).filter(([, value]) => value !== undefined)));
}

export interface InvocationOptions {
  /** Errors that are the function's answer rather than a failure (the authorizer's "Unauthorized"). */
  expected?: (error: unknown) => boolean;
}

/**
 * Wraps a Lambda handler: gives the invocation its own log keys and metrics, logs an unexpected error
 * once with its cause before Lambda records the failure, and writes the metrics at the end.
 */
export function invocation<R>(
  name: string,
  run: (event: unknown) => Promise<R>,
  options: InvocationOptions = {},
): (event: unknown, context?: unknown) => Promise<R> {
  return (event, context) =>
    withInvocation(context, async () => {
      try {
        return await run(event);
      } catch (error) {
        if (!options.expected?.(error)) logger.error(`${name} failed`, error);
        throw error;
      }
    });
}
