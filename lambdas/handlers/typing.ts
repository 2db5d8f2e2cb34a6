import { createTypingLimiter, sendTyping } from '../core/typing';
import { timingsFromEnv } from './wiring/config';
import { notifierFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

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
