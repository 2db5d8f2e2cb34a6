import { ChatError } from '../../contract/protocol/errors';
import type { FrameOf, ServerEvent } from '../../contract/protocol/frames';
import type { Profile, UserStore } from './ports';

/** Whether either of two users blocked the other: then nothing of one reaches the other. */
export function blockedBetween(
  a: Pick<Profile, 'userId' | 'blocked'> | undefined,
  b: Pick<Profile, 'userId' | 'blocked'> | undefined,
): boolean {
  if (!a || !b) return false;
  return a.blocked.includes(b.userId) || b.blocked.includes(a.userId);
}

/** block / unblock: one write to the caller's own profile. Answered `ok`, also when nothing changed. */
export async function setBlocked(
  deps: { users: UserStore },
  callerId: string,
  frame: FrameOf<'block'> | FrameOf<'unblock'>,
): Promise<ServerEvent> {
  if (frame.userId === callerId) throw new ChatError('SELF_SEND', 'You cannot block yourself');
  const block = frame.action === 'block';
  if (!(await deps.users.setBlocked(callerId, frame.userId, block))) {
    throw new ChatError('INVALID_FRAME', 'Your list of blocked users is full; unblock someone first');
  }
  return { type: 'ok', ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }) };
}
