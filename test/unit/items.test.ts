import { describe, expect, it } from 'vitest';
import { conversationItem, decode, profileItem } from '../../lambdas/adapters/dynamodb/items';
import { toStoredMessage } from '../../lambdas/adapters/dynamodb/messages';

const message = {
  conversationId: 'alice:bob',
  seq: 3,
  messageId: 'm-3',
  from: 'alice',
  to: 'bob',
  text: 'hi',
  sentAt: 1_700_000_000_000,
};

describe('items read from DynamoDB', () => {
  it('reads a complete message item as it was stored', () => {
    expect(toStoredMessage(structuredClone(message))).toEqual(message);
  });

  it('refuses a message item without its text, naming the attribute, instead of "undefined"', () => {
    const { text: _text, ...withoutText } = message;
    expect(() => toStoredMessage(withoutText)).toThrow(/Malformed message item[\s\S]*text/);
  });

  it('reads a media message with its object key', () => {
    const media = { kind: 'image', contentType: 'image/png', size: 10, width: 2, height: 3, key: 'media/k' };
    expect(toStoredMessage({ ...message, media })).toEqual({ ...message, media });
  });

  it('refuses media of a type the contract does not accept', () => {
    const media = { kind: 'image', contentType: 'image/svg+xml', size: 10, key: 'media/k' };
    expect(() => toStoredMessage({ ...message, media })).toThrow(/Malformed message item[\s\S]*contentType/);
  });

  it('refuses a number stored as a string', () => {
    expect(() => toStoredMessage({ ...message, seq: '3' })).toThrow(/Malformed message item[\s\S]*seq/);
  });

  it('reads a conversation head whose watermarks were never set', () => {
    const head = {
      conversationId: 'alice:bob',
      lastSeq: 3,
      lastMessage: message,
      activity: 'a',
      userLo: 'alice',
    };
    const decoded = decode(conversationItem, head, 'conversation');
    expect(decoded.lastSeq).toBe(3);
    expect(decoded.seenLo).toBeUndefined();
  });

  it('refuses a profile without its creation time', () => {
    expect(() => decode(profileItem, { userId: 'alice', lastActiveAt: 1 }, 'profile')).toThrow(
      /Malformed profile item[\s\S]*createdAt/,
    );
  });
});
