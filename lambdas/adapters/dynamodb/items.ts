import * as z from 'zod/mini';
import { MEDIA_KINDS, MEDIA_TYPES, type MediaContentType } from '../../../contract/media';
import { lastSeenVisibility } from '../../../contract/protocol/frames';

/**
 * The items the stores read back, as schemas (docs/data-model.md describes them). An item that lacks
 * an attribute, or holds one of another type, is an error naming the item and the attribute, rather
 * than a string "undefined" or a NaN travelling on to a client.
 */

const text = z.string();
const count = z.number();

const contentTypes = Object.values(MEDIA_TYPES).flat() as [MediaContentType, ...MediaContentType[]];

/** A media message's object: what was verified at send time, and its key in the media bucket. */
export const storedMediaItem = z.object({
  kind: z.enum(MEDIA_KINDS),
  contentType: z.enum(contentTypes),
  size: count,
  fileName: z.optional(text),
  width: z.optional(count),
  height: z.optional(count),
  durationMs: z.optional(count),
  preview: z.optional(text),
  key: text,
});

/** A message, in the messages table and as a conversation head's `lastMessage`. */
export const messageItem = z.object({
  conversationId: text,
  seq: count,
  messageId: text,
  from: text,
  to: text,
  text,
  media: z.optional(storedMediaItem),
  sentAt: count,
});

/** users table, `#conn#<connectionId>`: the record of truth for TTL and the sweeper's index. */
export const connectionItem = z.object({
  userId: text,
  connectionId: text,
  deviceId: text,
  connectedAt: count,
  freshUntil: count,
  /** Absent on records written before connections ended with their token. */
  tokenExpiresAt: z.optional(count),
});

/** users table, the profile's copy of a live connection, under `c#<connectionId>`. */
export const liveConnectionEntry = z.object({ deviceId: text, connectedAt: count, freshUntil: count });

/** users table, `#profile`; settings are absent until changed. */
export const settingsAttributes = z.object({
  readReceipts: z.optional(z.boolean()),
  lastSeenVisibility: z.optional(lastSeenVisibility),
  pushPreviews: z.optional(z.boolean()),
});
export const profileItem = z.extend(settingsAttributes, {
  userId: text,
  createdAt: count,
  lastActiveAt: count,
  /** Absent until the user signs out everywhere. */
  signedOutAt: z.optional(count),
  /** A string set, which DynamoDB stores only while it has members. */
  blocked: z.optional(z.set(text)),
  /** Muted conversation ids; a string set like `blocked`. */
  muted: z.optional(z.set(text)),
  /** Device ids with a `push#<deviceId>` subscription item; a string set like `blocked`. */
  pushDevices: z.optional(z.set(text)),
});

/** users table, `upload#<uploadId>`: an upload slot; `uploadExpiresAt` is the POST's expiry (ms). */
export const uploadSlotItem = z.object({
  uploadId: text,
  userId: text,
  kind: z.enum(MEDIA_KINDS),
  contentType: z.enum(contentTypes),
  maxBytes: count,
  fileName: z.optional(text),
  stagingKey: text,
  mediaKey: text,
  createdAt: count,
  uploadExpiresAt: count,
  claimableUntil: count,
  claimedBy: z.optional(text),
  size: z.optional(count),
});

/** users table, `push#<deviceId>`: a device's Web Push subscription. */
export const pushSubscriptionItem = z.object({
  userId: text,
  deviceId: text,
  endpoint: text,
  p256dh: text,
  auth: text,
  createdAt: count,
  vapidPublicKey: text,
});

/** users table, `watch#<viewerId>` (projected to the viewer). */
export const watcherItem = z.object({ viewerId: text });

/** users table, `device#<deviceId>` and `cursor#<deviceId>#<conversationId>`. */
export const deviceItem = z.object({ lastSyncAt: count });
export const cursorItem = z.object({ conversationId: text, seq: count });

/** messages table, projected to the sequence number. */
export const seqItem = z.object({ seq: count });

/** conversations table: the head; each side's watermarks are absent until first set. */
const watermark = z.optional(count);
export const conversationItem = z.object({
  conversationId: text,
  lastSeq: count,
  lastMessage: z.nullable(messageItem),
  activity: text,
  deliveredLo: watermark,
  seenLo: watermark,
  clearedLo: watermark,
  deliveredHi: watermark,
  seenHi: watermark,
  clearedHi: watermark,
  /** The participants whose lists (indexes) hold the conversation. */
  userLo: z.optional(text),
  userHi: z.optional(text),
  /** Who wrote since the last hide: both make the two contacts. */
  sentLo: z.optional(z.boolean()),
  sentHi: z.optional(z.boolean()),
});

/** An entry of the conversations' activity indexes, which project keys only. */
export const listedItem = z.object({ conversationId: text, activity: text });

/** Reads one item with its schema, or fails saying which item and what is wrong with it. */
export function decode<T>(schema: z.ZodMiniType<T>, item: Record<string, unknown>, what: string): T {
  const parsed = schema.safeParse(item);
  if (!parsed.success) throw new Error(`Malformed ${what} item: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
