import { ChatError } from '../../contract/protocol/errors';
import { frameRoute } from './wiring/event';

/**
 * `$default`: API Gateway sends here every frame whose action matches no route (bad JSON, no action,
 * an unknown action). The answer says which, with the client's request id when it sent one.
 */
export const handler = frameRoute('$default', async (frame) => {
  // A known action reaching $default means the deployed routes lag behind this code.
  throw new ChatError('UNKNOWN_ACTION', `Action ${frame.action} has no route`);
});
