import { ChatError } from '../../contract/protocol/errors';
import type { ClientFrame } from '../../contract/protocol/frames';
import { ACTION_RATE_CLASS, isLimitedAction, RATE_LIMITS, type RateLimit } from '../../contract/rate-limits';
import type { InstanceCache } from './instance-cache';
import type { Caller, RateCounter } from './ports';

export interface RateLimitDeps {
  counter: RateCounter;
  /** Connections and classes this instance saw refused, until their window ends: refused again without a write. */
  refusedUntil: InstanceCache<number>;
  /** RATE_LIMIT_FACTOR_ENV: 1 in production. */
  factor: number;
}

/** Units a frame takes: one, or for presence one per user asked about. */
function unitsOf(frame: ClientFrame): number {
  return frame.action === 'getPresence' ? new Set(frame.users).size : 1;
}

function refused(rateClass: string, retryAfterMs: number): ChatError {
  return new ChatError(
    'RATE_LIMITED',
    `Too many ${rateClass} frames; retry in ${retryAfterMs} ms`,
    retryAfterMs,
  );
}

/** Throws RATE_LIMITED when this instance already refused the connection in the current window. */
export function refuseFromMemory(deps: RateLimitDeps, caller: Caller, frame: ClientFrame, now: number): void {
  if (!isLimitedAction(frame.action)) return;
  const rateClass = ACTION_RATE_CLASS[frame.action];
  const refusedUntil = deps.refusedUntil.get(`${caller.connectionId} ${rateClass}`);
  if (refusedUntil !== undefined && refusedUntil > now) throw refused(rateClass, refusedUntil - now);
}

/**
 * Admits a frame of a limited action or throws RATE_LIMITED with how long to wait. The count is held
 * in the store, so it holds across instances; a connection this instance already refused in the
 * current window is refused again from memory, so a flood of refused frames costs no writes.
 */
export async function admitFrame(
  deps: RateLimitDeps,
  caller: Caller,
  frame: ClientFrame,
  now: number,
): Promise<void> {
  if (!isLimitedAction(frame.action)) return;
  refuseFromMemory(deps, caller, frame, now);
  const rateClass = ACTION_RATE_CLASS[frame.action];
  const base = RATE_LIMITS[rateClass];
  const limit: RateLimit = {
    perUser: base.perUser * deps.factor,
    perConnection: base.perConnection * deps.factor,
  };
  const verdict = await deps.counter.take(caller, rateClass, unitsOf(frame), limit, now);
  if (verdict.admitted) return;
  deps.refusedUntil.set(`${caller.connectionId} ${rateClass}`, now + verdict.retryAfterMs);
  throw refused(rateClass, verdict.retryAfterMs);
}
