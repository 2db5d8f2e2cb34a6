import type { ClientAction } from './protocol/frames';

/**
 * Rate limits, defined once for the deployed stack and the local runtime (docs/protocol.md lists them).
 * Each limited action counts against one class; a class allows so many units per user and per
 * connection in each fixed window of RATE_WINDOW_MS. A unit is one frame, except for presence, where it
 * is one user asked about (a frame asks about up to 50): what is limited is how many names one can probe.
 */
export type RateClass = 'send' | 'receipt' | 'presence' | 'typing' | 'sync' | 'media' | 'preferences';

export interface RateLimit {
  readonly perUser: number;
  readonly perConnection: number;
}

export const RATE_WINDOW_MS = 10_000;

export const RATE_LIMITS: Readonly<Record<RateClass, RateLimit>> = {
  /** 3 a second, sustained, for a user; a burst of 30 (a pasted list, an outbox flushed on reconnect). */
  send: { perUser: 30, perConnection: 20 },
  /** A sync of many conversations is acknowledged with one receipt per conversation. */
  receipt: { perUser: 120, perConnection: 80 },
  /** Users asked about: two full 50-user frames per window per connection. */
  presence: { perUser: 150, perConnection: 100 },
  /** Clients repeat "typing" every few seconds; each instance also drops more than 1 a second per peer. */
  typing: { perUser: 30, perConnection: 20 },
  /** Syncs are also coalesced per device: one running or queued at a time. */
  sync: { perUser: 6, perConnection: 3 },
  /** Upload slots (`requestUpload`): an album of 30 photos at once, and its retries. */
  media: { perUser: 60, perConnection: 40 },
  /**
   * Push subscriptions and mutes: each is a write or two a person makes by hand, so a few a second is
   * plenty, and a loop of them cannot make the push function sign for endless endpoints.
   */
  preferences: { perUser: 20, perConnection: 10 },
};

/** Which class each limited action counts against; the others (reads of one's own data) are not limited. */
export const ACTION_RATE_CLASS = {
  sendMessage: 'send',
  receipt: 'receipt',
  getPresence: 'presence',
  typing: 'typing',
  sync: 'sync',
  requestUpload: 'media',
  setPushSubscription: 'preferences',
  muteConversation: 'preferences',
} as const satisfies Partial<Record<ClientAction, RateClass>>;

export type LimitedAction = keyof typeof ACTION_RATE_CLASS;

export function isLimitedAction(action: ClientAction): action is LimitedAction {
  return Object.hasOwn(ACTION_RATE_CLASS, action);
}

/**
 * Multiplies every limit: the benchmark, which drives a few simulated users far faster than people
 * type, raises them; production leaves it unset (1).
 */
export const RATE_LIMIT_FACTOR_ENV = 'CHAT_RATE_LIMIT_FACTOR';
