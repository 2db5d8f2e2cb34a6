/** A conversation's place in its participants' lists: by time, then by id, so paging never skips a tie. */
export function activityKey(at: number, conversationId: string): string {
  return `${String(at).padStart(15, '0')}#${conversationId}`;
}
