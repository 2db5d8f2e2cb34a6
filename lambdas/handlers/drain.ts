import { drainRequest } from '../../contract/invocations';
import { count, logger } from '../adapters/observability/telemetry';
import { announceOnline } from '../core/connections';
import { syncDevice } from '../core/sync';
import {
  connectionDepsFromEnv,
  conversationStoreFromEnv,
  deviceStoreFromEnv,
  messageStoreFromEnv,
  systemClock,
} from './wiring/environment';
import { correlate, invocation } from './wiring/invocation';
import { mediaObjectsFromEnv } from './wiring/media';

const connectionDeps = connectionDepsFromEnv();
const syncDeps = {
  ...connectionDeps,
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  devices: deviceStoreFromEnv(),
  links: mediaObjectsFromEnv(),
  clock: systemClock,
  readyTimeoutMs: 5000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/**
 * Invoked asynchronously after $connect returns (API Gateway refuses posts during $connect and the
 * handshake waits for it), after a heartbeat revives a lapsed connection, or by `sync`.
 */
export const handler = invocation('drain', async (event) => {
  const { announceOnline: announce, releaseSync, ...target } = drainRequest.parse(event);
  correlate({ ...target, route: 'drain' });
  try {
    const [result] = await Promise.all([
      syncDevice(syncDeps, target),
      announce ? announceOnline(connectionDeps, target.userId) : Promise.resolve(),
    ]);
    if (result.kind === 'synced') {
      count('SyncBatches');
      count('SyncMessages', result.messages);
    } else count('SyncsAbandoned');
    logger.info('drained', { ...result, announceOnline: announce === true });
    return result;
  } finally {
    // The sync route claimed this device's sync: the next `sync` may start one again.
    if (releaseSync) await syncDeps.devices.releaseSync(target.userId, target.deviceId);
  }
});
