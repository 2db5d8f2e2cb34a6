import { FUNCTIONS } from '../../contract/routes';
import { deviceStoreFromEnv, drainInvokerFromEnv, systemClock } from './wiring/environment';
import { actionHandler } from './wiring/route';

const drain = drainInvokerFromEnv();
const devices = deviceStoreFromEnv();
/** A drain that failed without releasing its lease holds it no longer than the drain could run. */
const LEASE_MS = (FUNCTIONS.drain.timeoutSeconds + 30) * 1000;

/**
 * The sync runs in the drain function, which may take longer than API Gateway waits for a route;
 * its `synced` event carries this frame's request id. Syncs are coalesced per device: while one is
 * running or queued, another `sync` starts nothing and is answered `ok`.
 */
export const handler = actionHandler('sync', async (frame, caller) => {
  const now = systemClock.now();
  if (!(await devices.claimSync(caller.userId, caller.deviceId, now + LEASE_MS, now))) {
    return { type: 'ok', ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }) };
  }
  await drain.invokeAsync({
    ...caller,
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    releaseSync: true,
  });
  return undefined;
});
