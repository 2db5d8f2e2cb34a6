import * as z from 'zod/mini';
import {
  conversationStoreFromEnv,
  deviceStoreFromEnv,
  messageStoreFromEnv,
  notifierFromEnv,
  systemClock,
} from '../aws/environment';
import { syncDevice } from '../core/sync';

const deps = {
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  devices: deviceStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  readyTimeoutMs: 5000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

const drainEvent = z.object({
  userId: z.string().check(z.minLength(1)),
  deviceId: z.string().check(z.minLength(1)),
  connectionId: z.string().check(z.minLength(1)),
  requestId: z.optional(z.string()),
});

/** Invoked asynchronously after $connect returns (API Gateway refuses posts during $connect), or by `sync`. */
export async function handler(event: unknown) {
  return syncDevice(deps, drainEvent.parse(event));
}
