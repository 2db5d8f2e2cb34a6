const DAY_MS = 24 * 60 * 60 * 1000;

function startOfDay(time: number): number {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** "14:05" */
export function clockTime(time: number): string {
  return new Date(time).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** "Monday 3 March 2025 at 14:05": a message's full time, shown on hover. */
export function fullTime(time: number): string {
  return new Date(time).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

/** "Today", "Yesterday", "Monday", "3 March 2025": for separators between days. */
export function dayLabel(time: number, now = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(time)) / DAY_MS);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return new Date(time).toLocaleDateString(undefined, { weekday: 'long' });
  return new Date(time).toLocaleDateString(undefined, { day: 'numeric', month: 'long', year: 'numeric' });
}

/** "14:05" today, "Yesterday", "Mon", or "03/03/2025": for the conversation list. */
export function shortTime(time: number, now = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(time)) / DAY_MS);
  if (days === 0) return clockTime(time);
  if (days === 1) return 'Yesterday';
  if (days > 1 && days < 7) return new Date(time).toLocaleDateString(undefined, { weekday: 'short' });
  return new Date(time).toLocaleDateString();
}

/** "last seen today at 14:05", "last seen yesterday at 09:12", "last seen 3 March at 18:40". */
export function lastSeen(time: number, now = Date.now()): string {
  const days = Math.round((startOfDay(now) - startOfDay(time)) / DAY_MS);
  const at = clockTime(time);
  if (days <= 0) return `last seen today at ${at}`;
  if (days === 1) return `last seen yesterday at ${at}`;
  return `last seen ${new Date(time).toLocaleDateString(undefined, { day: 'numeric', month: 'long' })} at ${at}`;
}
