import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { PushPayload } from '../../contract/push';
import { buildWeb } from '../../web/build';
import { notificationFor, parsePushPayload } from '../../web/push-notification';

const payload: PushPayload = {
  v: 1,
  type: 'message',
  conversationId: 'alice:bob',
  from: 'alice',
  seq: 42,
  sentAt: 1764259200000,
  unread: 1,
  preview: 'Are we still on for tonight?',
  media: null,
};

const shown = (fields: Partial<PushPayload>) => notificationFor({ ...payload, ...fields });

describe('the notification of a push', () => {
  it('reads the documented payload back as it was sent', () => {
    expect(parsePushPayload(JSON.stringify(payload))).toEqual(payload);
  });

  it('shows the sender and the preview, one notification per conversation that alerts again', () => {
    const { title, options } = shown({});
    expect(title).toBe('alice');
    expect(options).toMatchObject({
      body: 'Are we still on for tonight?',
      tag: 'alice:bob',
      renotify: true,
      data: { conversationId: 'alice:bob' },
    });
  });

  it('says what kind of media came, with its caption, and counts a burst', () => {
    expect(shown({ media: 'image', preview: null }).options.body).toBe('📷 Photo');
    expect(shown({ media: 'audio', preview: null }).options.body).toBe('🎤 Voice message');
    expect(shown({ media: 'video', preview: 'Look' }).options.body).toBe('🎬 Video: Look');
    expect(shown({ preview: null }).options.body).toBe('New message');
    expect(shown({ unread: 3 }).options.body).toBe('3 new messages');
  });

  it('still shows a generic notification for a payload it cannot read', () => {
    for (const text of [
      undefined,
      'not json',
      'null',
      JSON.stringify({ ...payload, v: 2 }),
      JSON.stringify({ ...payload, media: 'sticker' }),
      JSON.stringify({ ...payload, conversationId: '../x' }),
      JSON.stringify({ ...payload, unread: '2' }),
    ]) {
      const parsed = parsePushPayload(text);
      expect(parsed).toBeUndefined();
      expect(notificationFor(parsed)).toMatchObject({
        title: 'Chat',
        options: { body: 'New message', data: { conversationId: null } },
      });
    }
  });
});

describe('the service worker build', () => {
  it('is sw.js at the site root, a classic script (no import or export left), that every browser with push runs', () => {
    const out = mkdtempSync(join(tmpdir(), 'web-'));
    try {
      buildWeb(out);
      const code = readFileSync(join(out, 'sw.js'), 'utf8');
      // A module statement is a syntax error in a classic script.
      expect(() => new Script(code)).not.toThrow();
      expect(code).toContain('showNotification');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
