import { describe, expect, it } from 'vitest';
import { PUSH, pushEndpointAllowed } from '../../contract/push';
import type { StoredMessage, UserState } from '../../lambdas/core/ports';
import { DEFAULT_SETTINGS } from '../../lambdas/core/ports';
import { devicesToPush, pushPayloadOf, topicOf } from '../../lambdas/core/push';

const message: StoredMessage = {
  conversationId: 'alice:bob',
  seq: 7,
  messageId: 'm7',
  from: 'alice',
  to: 'bob',
  text: 'hello',
  sentAt: 1_000,
};

function recipient(overrides: { muted?: string[]; pushDevices?: string[]; live?: string[] }): UserState {
  return {
    profile: {
      userId: 'bob',
      createdAt: 1,
      lastActiveAt: 1,
      signedOutAt: 0,
      blocked: [],
      muted: overrides.muted ?? [],
      pushDevices: overrides.pushDevices ?? [],
      ...DEFAULT_SETTINGS,
    },
    connections: (overrides.live ?? []).map((deviceId, i) => ({
      userId: 'bob',
      connectionId: `c${i}`,
      deviceId,
      connectedAt: 1,
      freshUntil: 2,
    })),
  };
}

describe('devicesToPush', () => {
  it('is the subscribed devices without a live connection', () => {
    expect(
      devicesToPush(recipient({ pushDevices: ['phone', 'laptop'], live: ['phone'] }), 'alice:bob'),
    ).toEqual(['laptop']);
  });

  it('is none for a muted conversation or an unknown recipient', () => {
    expect(devicesToPush(recipient({ pushDevices: ['laptop'], muted: ['alice:bob'] }), 'alice:bob')).toEqual(
      [],
    );
    expect(devicesToPush(undefined, 'alice:bob')).toEqual([]);
  });
});

describe('pushPayloadOf', () => {
  it('previews the start of the text, cut before a split surrogate pair', () => {
    const text = `${'a'.repeat(PUSH.previewLength - 1)}😀 and more`;
    const payload = pushPayloadOf({ ...message, text }, 3, true);
    expect(payload.preview).toBe('a'.repeat(PUSH.previewLength - 1));
    expect(payload).toMatchObject({ v: 1, type: 'message', seq: 7, unread: 3, media: null });
  });

  it('says what kind a media message is, and shows no text with previews off', () => {
    const media = {
      kind: 'image' as const,
      contentType: 'image/png' as const,
      size: 10,
      key: 'media/x',
    };
    expect(pushPayloadOf({ ...message, text: 'caption', media }, 1, false)).toMatchObject({
      preview: null,
      media: 'image',
    });
    expect(pushPayloadOf({ ...message, text: '', media }, 1, true)).toMatchObject({
      preview: null,
      media: 'image',
    });
  });
});

describe('topicOf', () => {
  it('is 32 characters of base64url, the same for a conversation and different across them', () => {
    expect(topicOf('alice:bob')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(topicOf('alice:bob')).toBe(topicOf('alice:bob'));
    expect(topicOf('alice:bob')).not.toBe(topicOf('alice:carol'));
  });
});

describe('pushEndpointAllowed', () => {
  it('allows https on a push service host or its sub-domains only', () => {
    expect(pushEndpointAllowed('https://fcm.googleapis.com/fcm/send/x')).toBe(true);
    expect(pushEndpointAllowed('https://web.push.apple.com/abc')).toBe(true);
    expect(pushEndpointAllowed('https://updates.push.services.mozilla.com/wpush/v2/x')).toBe(true);
    for (const endpoint of [
      'http://fcm.googleapis.com/x',
      'https://fcm.googleapis.com:8443/x',
      'https://user:pw@fcm.googleapis.com/x',
      'https://evilfcm.googleapis.com/x',
      'https://fcm.googleapis.com.evil.example/x',
      'https://169.254.169.254/latest/meta-data',
      'not a url',
    ]) {
      expect(pushEndpointAllowed(endpoint), endpoint).toBe(false);
    }
  });

  it('allows a local origin only when it is listed', () => {
    expect(pushEndpointAllowed('http://127.0.0.1:4000/push/x')).toBe(false);
    expect(pushEndpointAllowed('http://127.0.0.1:4000/push/x', ['http://127.0.0.1:4000'])).toBe(true);
    expect(pushEndpointAllowed('http://127.0.0.1:4001/push/x', ['http://127.0.0.1:4000'])).toBe(false);
  });
});
