export function participantsOf(conversationId: string): { lo: string; hi: string } | undefined {
  const parts = conversationId.split(':');
  const [lo, hi] = parts;
  if (parts.length !== 2 || lo === undefined || hi === undefined || lo === '' || !(lo < hi)) return undefined;
  return { lo, hi };
}

/** Which side of the conversation a user is on, or undefined when the conversation is not theirs. */
export function sideOf(
  conversationId: string,
  userId: string,
): { side: 'lo' | 'hi'; peer: string } | undefined {
  const participants = participantsOf(conversationId);
  if (participants?.lo === userId) return { side: 'lo', peer: participants.hi };
  if (participants?.hi === userId) return { side: 'hi', peer: participants.lo };
  return undefined;
}

/** A conversation's place in its participants' lists: by time, then by id, so paging never skips a tie. */
export function activityKey(at: number, conversationId: string): string {
  return `${String(at).padStart(15, '0')}#${conversationId}`;
}
