import * as z from 'zod/mini';
import { ChatError } from '../../../contract/protocol/errors';
import type { ClientFrame, ServerEvent } from '../../../contract/protocol/frames';
import { conversationIdOf } from '../../../contract/protocol/ids';
import { parseFrame } from '../../../contract/protocol/parse';
import { count, countError, logger } from '../../adapters/observability/telemetry';
import type { Caller, TokenTimes } from '../../core/ports';
import { correlate, invocation } from './invocation';

/**
 * Reading API Gateway's WebSocket events and answering them, free of any AWS client: `$default`,
 * which needs nothing more, stays a small bundle (route.ts adds what the action routes need).
 */

/**
 * The parts of API Gateway's WebSocket event the handlers use. Identity comes from the authorizer's
 * context, which API Gateway attaches to every route of the connection, never from the frame.
 */
const websocketEvent = z.object({
  requestContext: z.object({
    routeKey: z.string(),
    connectionId: z.string(),
    requestId: z.optional(z.string()),
    authorizer: z.object({
      userId: z.string().check(z.minLength(1)),
      deviceId: z.string().check(z.minLength(1)),
      // The authorizer returns numbers; API Gateway hands them to the routes as strings.
      tokenExpiresAt: z.coerce.number(),
      tokenIssuedAt: z.coerce.number(),
    }),
  }),
  body: z.nullish(z.string()),
});

export type WebSocketEvent = z.infer<typeof websocketEvent>;

export interface RouteResult {
  statusCode: number;
  body?: string;
}

/** Reads the event and the caller, and puts who is calling on every later log line of the invocation. */
export function parseWebSocketEvent(event: unknown): {
  event: WebSocketEvent;
  caller: Caller;
  token: TokenTimes;
} {
  const parsed = websocketEvent.parse(event);
  const { routeKey, connectionId, requestId } = parsed.requestContext;
  const { userId, deviceId, tokenExpiresAt, tokenIssuedAt } = parsed.requestContext.authorizer;
  correlate({ userId, deviceId, connectionId, route: routeKey, apiRequestId: requestId });
  return {
    event: parsed,
    caller: { userId, deviceId, connectionId },
    token: { expiresAt: tokenExpiresAt, issuedAt: tokenIssuedAt },
  };
}

export function reply(event: ServerEvent): RouteResult {
  return { statusCode: 200, body: JSON.stringify(event) };
}

export function errorEvent(error: ChatError, requestId: string | undefined): ServerEvent {
  return {
    type: 'error',
    ...(requestId === undefined ? {} : { requestId }),
    code: error.code,
    message: error.message,
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
}

export function errorReply(error: ChatError, requestId: string | undefined): RouteResult {
  return reply(errorEvent(error, requestId));
}

/** The message and conversation a frame is about, when it names them. */
function frameKeys(frame: ClientFrame, caller: Caller) {
  return {
    action: frame.action,
    requestId: frame.requestId,
    messageId: 'messageId' in frame ? frame.messageId : undefined,
    conversationId:
      'conversationId' in frame
        ? frame.conversationId
        : 'to' in frame && frame.to !== caller.userId
          ? conversationIdOf(caller.userId, frame.to)
          : undefined,
  };
}

/**
 * A route function: reads the caller and the frame, runs `run`, and answers with its event (if any) or
 * an error frame carrying the client's request id. Every frame is counted and logged once with its
 * outcome; unexpected failures are logged with their cause and answered INTERNAL, without details.
 */
export function frameRoute(
  name: string,
  /** Resolves with the reply, or undefined when success needs no reply. */
  run: (frame: ClientFrame, caller: Caller, token: TokenTimes) => Promise<ServerEvent | undefined>,
): (event: unknown, context?: unknown) => Promise<RouteResult> {
  return invocation(name, async (rawEvent) => {
    const { event, caller, token } = parseWebSocketEvent(rawEvent);
    count('Requests');
    const parsed = parseFrame(event.body ?? undefined);
    if (!parsed.ok) {
      correlate({ requestId: parsed.requestId });
      return refuse(parsed.error, parsed.requestId);
    }
    const { frame } = parsed;
    correlate(frameKeys(frame, caller));
    try {
      const result = await run(frame, caller, token);
      logger.info('frame handled');
      return result ? reply(result) : { statusCode: 200 };
    } catch (error) {
      if (error instanceof ChatError) return refuse(error, frame.requestId);
      logger.error('frame failed', error);
      countError('INTERNAL');
      return errorReply(new ChatError('INTERNAL', 'Something went wrong; retry later'), frame.requestId);
    }
  });
}

/** A refusal the client can act on: counted by code and logged, without the frame's content. */
function refuse(error: ChatError, requestId: string | undefined): RouteResult {
  countError(error.code);
  logger.info('frame refused', { code: error.code, reason: error.message });
  return errorReply(error, requestId);
}
