import { timingsFromEnv } from '../aws/config';
import { notifierFromEnv, systemClock, userStoreFromEnv } from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { createTypingLimiter, sendTyping } from '../core/typing';

const timings = timingsFromEnv();
const deps = {
  users: userStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  // Kept for the life of this instance: the limit holds per instance only (best effort).
  limiter: createTypingLimiter(timings.typingMinIntervalMs),
  typingTtlMs: timings.typingTtlMs,
};

/** Replies only with an error; a passed or dropped indicator gets no answer. */
export const handler = actionHandler('typing', (frame, caller) => sendTyping(deps, caller, frame));
