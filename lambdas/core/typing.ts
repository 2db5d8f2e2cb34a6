import { ChatError } from '../../contract/protocol/errors';
import type { FrameOf } from '../../contract/protocol/frames';
import { conversationIdOf } from '../../contract/protocol/ids';
import { blockedBetween } from './blocking';
import { pushToConnections } from './delivery';
import type { Caller, Clock, ConnectionNotifier, UserStore } from './ports';

type TypingState = FrameOf<'typing'>['state'];

export interface TypingLimiter {
  /** Whether a frame from this sender to this recipient may pass now; records it when it may. */
  admit(key: string, state: TypingState, now: number): boolean;
}

/** Senders remembered at most; beyond it, entries old enough to restrict nothing are forgotten. */
const MAX_LIMITER_KEYS = 10_000;

/**
 * At most one frame per `minIntervalMs` per key, except that a "stopped" right after a passed "typing"
 * always passes, so an indicator is never left on until it expires: at most two frames per interval.
 *
 * Best effort: the state lives in one function instance's memory, and API Gateway may spread one
 * connection's frames over several instances. It bounds a chatty client, not an attacker.
 */
export function createTypingLimiter(minIntervalMs: number): TypingLimiter {
  const passed = new Map<string, { at: number; state: TypingState }>();
  return {
    admit(key, state, now) {
      const last = passed.get(key);
      const admitted =
        last === undefined ||
        now - last.at >= minIntervalMs ||
        (state === 'stopped' && last.state === 'typing');
      if (!admitted) return false;
      if (passed.size >= MAX_LIMITER_KEYS) {
        for (const [other, entry] of passed) if (now - entry.at >= minIntervalMs) passed.delete(other);
      }
      passed.set(key, { at: now, state });
      return true;
    },
  };
}

export interface TypingDeps {
  users: UserStore;
  notifier: ConnectionNotifier;
  clock: Clock;
  limiter: TypingLimiter;
  typingTtlMs: number;
}

/**
 * Passes a typing indicator to the recipient's live connections. Nothing is stored; the indicator
 * carries its own expiry, so a lost "stopped" cannot leave it on.
 */
export async function sendTyping(
  deps: TypingDeps,
  caller: Caller,
  frame: FrameOf<'typing'>,
): Promise<undefined> {
  if (frame.to === caller.userId) throw new ChatError('SELF_SEND', 'You cannot type to yourself');
  const now = deps.clock.now();
  // Checked before any read, so dropped frames cost nothing.
  if (!deps.limiter.admit(`${caller.connectionId} ${frame.to}`, frame.state, now)) return;
  const users = await deps.users.getUsers([frame.to, caller.userId], now);
  const recipient = users.get(frame.to) ?? { profile: undefined, connections: [] };
  if (!recipient.profile) throw new ChatError('UNKNOWN_RECIPIENT', `No user named ${frame.to}`);
  // Dropped silently, as any extra typing frame is: a block is not announced to the blocked.
  if (blockedBetween(recipient.profile, users.get(caller.userId)?.profile)) return;
  await pushToConnections(deps, recipient.connections, {
    type: 'typing',
    conversationId: conversationIdOf(caller.userId, frame.to),
    from: caller.userId,
    state: frame.state,
    expiresAt: now + deps.typingTtlMs,
  });
}
