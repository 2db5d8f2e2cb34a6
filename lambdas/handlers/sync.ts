import { drainInvokerFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const drain = drainInvokerFromEnv();

/**
 * The sync runs in the drain function, which may take longer than API Gateway waits for a route;
 * its `synced` event carries this frame's request id.
 */
export const handler = actionHandler('sync', async (frame, caller) => {
  await drain.invokeAsync({
    ...caller,
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
  });
  return undefined;
});
