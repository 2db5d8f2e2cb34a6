/** A conversation's place in its participants' lists: by time, then by id, so paging never skips a tie. */
export function activityKey(at: number, conversationId: string): string {
  return `${String(at).padStart(15, '0')}#${conversationId}`;
}

/**
 * A conversation's `activity` (its index sort key) moves at most once per this window: every move
 * re-keys both participants' index entries (4 write units), so a burst of messages pays for one. A
 * list orders by the last message's time, which runs ahead of `activity` by less than this.
 */
export const ACTIVITY_REKEY_MS = 60_000;

/** The time part of an activity key. */
export function activityTime(key: string): number {
  return Number(key.slice(0, key.indexOf('#')));
}
