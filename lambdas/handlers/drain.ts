import * as z from 'zod/mini';
import {
  connectionDepsFromEnv,
  conversationStoreFromEnv,
  deviceStoreFromEnv,
  messageStoreFromEnv,
  systemClock,
} from '../aws/environment';
import { announceOnline } from '../core/connections';
import { syncDevice } from '../core/sync';

const connectionDeps = connectionDepsFromEnv();
const syncDeps = {
  ...connectionDeps,
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  devices: deviceStoreFromEnv(),
  clock: systemClock,
  readyTimeoutMs: 5000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

const drainEvent = z.object({
  userId: z.string().check(z.minLength(1)),
  deviceId: z.string().check(z.minLength(1)),
  connectionId: z.string().check(z.minLength(1)),
  requestId: z.optional(z.string()),
  announceOnline: z.optional(z.boolean()),
});

/**
 * Invoked asynchronously after $connect returns (API Gateway refuses posts during $connect and the
 * handshake waits for it), after a heartbeat revives a lapsed connection, or by `sync`.
 */
export async function handler(event: unknown) {
  const { announceOnline: announce, ...target } = drainEvent.parse(event);
  const [result] = await Promise.all([
    syncDevice(syncDeps, target),
    announce ? announceOnline(connectionDeps, target.userId) : Promise.resolve(),
  ]);
  return result;
}
