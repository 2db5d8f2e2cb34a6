import type { ServerEventType } from './frames';

/**
 * Every server event type, as a value (frames.ts states them as types only, and pulls in zod, which
 * the browser bundle leaves out). The Record makes the compiler list a type added to frames.ts.
 */
export const SERVER_EVENT_TYPES: Readonly<Record<ServerEventType, true>> = {
  ack: true,
  message: true,
  heartbeat: true,
  status: true,
  presence: true,
  typing: true,
  settings: true,
  conversations: true,
  messages: true,
  sync: true,
  synced: true,
  uploadSlot: true,
  mediaUrl: true,
  pushSubscription: true,
  conversationMuted: true,
  ok: true,
  error: true,
};
