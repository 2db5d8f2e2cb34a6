import { ChatError } from '../../contract/protocol/errors';
import { parseFrame } from '../../contract/protocol/parse';
import { errorReply, parseWebSocketEvent } from './wiring/route';

/**
 * `$default`: API Gateway sends here every frame whose action matches no route (bad JSON, no action,
 * an unknown action). The answer says which, with the client's request id when it sent one.
 */
export async function handler(rawEvent: unknown) {
  const { event } = parseWebSocketEvent(rawEvent);
  const parsed = parseFrame(event.body ?? undefined);
  if (!parsed.ok) return errorReply(parsed.error, parsed.requestId);
  // A known action reaching $default means the deployed routes lag behind this code.
  return errorReply(
    new ChatError('UNKNOWN_ACTION', `Action ${parsed.frame.action} has no route`),
    parsed.frame.requestId,
  );
}
