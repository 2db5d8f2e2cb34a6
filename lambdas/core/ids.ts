/**
 * A 1:1 conversation's id is derived from its two participants, so both sides name it the same way
 * without a lookup. User ids never contain ":".
 */
export function conversationIdOf(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export function participantsOf(conversationId: string): { lo: string; hi: string } | undefined {
  const parts = conversationId.split(':');
  const [lo, hi] = parts;
  if (parts.length !== 2 || lo === undefined || hi === undefined || lo === '' || !(lo < hi)) return undefined;
  return { lo, hi };
}
