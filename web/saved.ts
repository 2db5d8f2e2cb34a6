import type { OutgoingMessage } from '../client/outbox';

/**
 * What the user wrote and must not lose to a reload: drafts per conversation and the text messages
 * not yet acknowledged. Kept in localStorage per user; a browser that refuses storage (private mode,
 * full quota) only loses this convenience.
 */
export interface SavedText {
  readonly messageId: string;
  readonly to: string;
  readonly text: string;
}

const draftKey = (userId: string, conversationId: string) => `chat.draft.${userId}.${conversationId}`;
const outboxKey = (userId: string) => `chat.outbox.${userId}`;

function write(key: string, value: string | undefined): void {
  try {
    if (value === undefined) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    // Storage refused: the text stays on screen, it just does not survive a reload.
  }
}

export function loadDraft(userId: string, conversationId: string): string {
  return localStorage.getItem(draftKey(userId, conversationId)) ?? '';
}

export function saveDraft(userId: string, conversationId: string, text: string): void {
  write(draftKey(userId, conversationId), text === '' ? undefined : text);
}

/** Media messages are not kept: their files cannot be stored, so a reload loses them (they are not sent). */
export function saveOutbox(userId: string, pending: readonly OutgoingMessage[]): void {
  const texts: SavedText[] = pending
    .filter((message) => !message.media)
    .map(({ messageId, to, text }) => ({ messageId, to, text }));
  write(outboxKey(userId), texts.length === 0 ? undefined : JSON.stringify(texts));
}

export function loadOutbox(userId: string): SavedText[] {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(outboxKey(userId)) ?? '[]');
    return Array.isArray(value) ? value.filter(isSavedText) : [];
  } catch {
    return [];
  }
}

/** Signing out on purpose leaves no text of this user behind in the browser. */
export function forgetSaved(userId: string): void {
  const prefix = `chat.draft.${userId}.`;
  for (const key of Object.keys(localStorage)) if (key.startsWith(prefix)) write(key, undefined);
  write(outboxKey(userId), undefined);
}

function isSavedText(value: unknown): value is SavedText {
  if (typeof value !== 'object' || value === null) return false;
  const { messageId, to, text } = value as Record<string, unknown>;
  return typeof messageId === 'string' && typeof to === 'string' && typeof text === 'string';
}
