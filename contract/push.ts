import type { MediaKind } from './media';

/**
 * Web Push, defined once for the server, the push function, the service worker and the docs.
 * Protocol: RFC 8030 (delivery, TTL, Urgency, Topic), RFC 8291 (payload encryption), RFC 8292 (VAPID).
 */

/**
 * Push services a subscription's endpoint may name. The push function POSTs to the endpoint, so an
 * endpoint anywhere else would make it a request forger (SSRF): only these hosts and their
 * sub-domains are accepted, over https. The local runtime adds its own push service's origin.
 */
export const PUSH_SERVICE_HOSTS = [
  // Chrome, and other Chromium browsers on Google's service.
  'fcm.googleapis.com',
  'android.googleapis.com',
  // Firefox.
  'push.services.mozilla.com',
  // Safari (macOS 13+, iOS 16.4+).
  'push.apple.com',
  // Edge.
  'notify.windows.com',
] as const;

/**
 * Whether the push function may POST to this endpoint: https on a host of PUSH_SERVICE_HOSTS or a
 * sub-domain of one (on a dot boundary, so `evilfcm.googleapis.com.example` and `xfcm.googleapis.com`
 * are refused), on the default port, without credentials; or one of `localOrigins` (the local push
 * service, which the deployed stack never names).
 */
export function pushEndpointAllowed(endpoint: string, localOrigins: readonly string[] = []): boolean {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.username !== '' || url.password !== '') return false;
  if (localOrigins.includes(url.origin)) return true;
  if (url.protocol !== 'https:' || url.port !== '') return false;
  const host = url.hostname.toLowerCase();
  return PUSH_SERVICE_HOSTS.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

export const PUSH = {
  /** RFC 8030 TTL: a push service keeps an undelivered notification this long (the message itself is kept for life). */
  ttlSeconds: 24 * 60 * 60,
  /** RFC 8030 §5.3: "normal" is the urgency the RFC names for a chat message. */
  urgency: 'normal',
  /** UTF-16 code units of message text in a preview; the whole payload must fit in 4 KB encrypted. */
  previewLength: 120,
  /** Characters of a subscription's endpoint URL. */
  maxEndpointLength: 1024,
  /** Conversations one user may mute; the list lives on their profile item, like `blocked`. */
  maxMutedConversations: 1000,
  /** How long the push function waits for a push service's answer before it counts as failed. */
  requestTimeoutMs: 5000,
} as const;

/**
 * The decrypted body of every push, as the service worker receives it. A burst in one conversation
 * is sent with one RFC 8030 Topic per conversation, so a push service replaces an undelivered one with
 * the newest; the service worker shows one notification per conversation (its `tag`) and updates it.
 */
export interface PushPayload {
  v: 1;
  type: 'message';
  conversationId: string;
  /** The sender. */
  from: string;
  /** The message that caused this push. */
  seq: number;
  sentAt: number;
  /** Messages in the conversation after the recipient's "seen" watermark, this one included. */
  unread: number;
  /** The start of the text (or caption), at most PUSH.previewLength; null when previews are off or there is none. */
  preview: string | null;
  /** A media message's kind; null for text. */
  media: MediaKind | null;
}
