import * as z from 'zod/mini';
import { ChatError } from '../../../contract/protocol/errors';
import type { ClientAction, FrameOf, ServerEvent } from '../../../contract/protocol/frames';
import { parseFrame } from '../../../contract/protocol/parse';
import type { Caller } from '../../core/ports';

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
    }),
  }),
  body: z.nullish(z.string()),
});

export type WebSocketEvent = z.infer<typeof websocketEvent>;

export interface RouteResult {
  statusCode: number;
  body?: string;
}

export function parseWebSocketEvent(event: unknown): { event: WebSocketEvent; caller: Caller } {
  const parsed = websocketEvent.parse(event);
  const { userId, deviceId } = parsed.requestContext.authorizer;
  return { event: parsed, caller: { userId, deviceId, connectionId: parsed.requestContext.connectionId } };
}

export function reply(event: ServerEvent): RouteResult {
  return { statusCode: 200, body: JSON.stringify(event) };
}

export function errorReply(error: ChatError, requestId: string | undefined): RouteResult {
  return reply({
    type: 'error',
    ...(requestId === undefined ? {} : { requestId }),
    code: error.code,
    message: error.message,
  });
}

/**
 * A route handler for one action: validates the frame, runs the core, and answers the caller with
 * the resulting event (if any) or an error frame carrying the caller's request id. Unexpected failures are
 * logged and answered with INTERNAL; their details never reach the client.
 */
export function actionHandler<A extends ClientAction>(
  action: A,
  /** Resolves with the reply, or undefined when success needs no reply. */
  run: (frame: FrameOf<A>, caller: Caller) => Promise<ServerEvent | undefined>,
): (event: unknown) => Promise<RouteResult> {
  return async (rawEvent) => {
    const { event, caller } = parseWebSocketEvent(rawEvent);
    const parsed = parseFrame(event.body ?? undefined);
    if (!parsed.ok) return errorReply(parsed.error, parsed.requestId);
    const { frame } = parsed;
    if (frame.action !== action) {
      return errorReply(new ChatError('UNKNOWN_ACTION', `This route serves ${action}`), frame.requestId);
    }
    try {
      const result = await run(frame as FrameOf<A>, caller);
      return result ? reply(result) : { statusCode: 200 };
    } catch (error) {
      if (error instanceof ChatError) return errorReply(error, frame.requestId);
      console.error(`${action} failed`, error);
      return errorReply(new ChatError('INTERNAL', 'Something went wrong; retry later'), frame.requestId);
    }
  };
}
