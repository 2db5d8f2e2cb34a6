import { describe, expect, it } from 'vitest';
import { conversationIdOf, DEVICE_ID_PATTERN, peerOf, randomId, USER_ID_PATTERN } from '../../client/ids';

describe('ids', () => {
  it('names a conversation by its two user ids, sorted, whoever asks', () => {
    expect(conversationIdOf('bob', 'alice')).toBe('alice:bob');
    expect(conversationIdOf('alice', 'bob')).toBe('alice:bob');
  });

  it('finds the other participant of a conversation', () => {
    expect(peerOf('alice:bob', 'alice')).toBe('bob');
    expect(peerOf('alice:bob', 'bob')).toBe('alice');
  });

  it('makes random ids that the protocol accepts as message, request and device ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(DEVICE_ID_PATTERN);
  });

  it('accepts the user ids of docs/protocol.md and nothing else', () => {
    expect(
      ['alice', 'bob.smith', 'x_1-2', 'a'.repeat(32)].filter((id) => USER_ID_PATTERN.test(id)),
    ).toHaveLength(4);
    expect(['', 'Alice', '.alice', 'a b', 'a'.repeat(33)].some((id) => USER_ID_PATTERN.test(id))).toBe(false);
  });
});
