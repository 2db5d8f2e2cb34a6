import { invokerFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import type { SyncTarget } from '../core/sync';

const drain = invokerFromEnv('drain');

/**
 * The sync runs in the drain function, which may take longer than API Gateway waits for a route;
 * its `synced` event carries this frame's request id.
 */
export const handler = actionHandler('sync', async (frame, caller) => {
  const target: SyncTarget = {
    ...caller,
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
  };
  await drain.invokeAsync(target);
  return undefined;
});
