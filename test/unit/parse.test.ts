import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { parseFrame } from '../../contract/protocol/parse';

const valid = { action: 'sendMessage', requestId: 'r1', messageId: 'm1', to: 'bob', text: 'hi' };

describe('parseFrame', () => {
  it('accepts a valid frame', () => {
    expect(parseFrame(JSON.stringify(valid))).toEqual({ ok: true, frame: valid });
  });

  it.each([
    ['not JSON', '{', 'BAD_JSON', undefined],
    ['an empty body', undefined, 'BAD_JSON', undefined],
    ['a JSON array', '[]', 'INVALID_FRAME', undefined],
    ['null', 'null', 'INVALID_FRAME', undefined],
    ['an unknown action', JSON.stringify({ action: 'fly', requestId: 'r2' }), 'UNKNOWN_ACTION', 'r2'],
    ['a non-string action', JSON.stringify({ action: 7 }), 'UNKNOWN_ACTION', undefined],
    [
      'an inherited property as action',
      JSON.stringify({ action: 'constructor' }),
      'UNKNOWN_ACTION',
      undefined,
    ],
    ['a missing field', JSON.stringify({ ...valid, text: undefined }), 'INVALID_FRAME', 'r1'],
    ['an unknown field', JSON.stringify({ ...valid, admin: true }), 'INVALID_FRAME', 'r1'],
    ['a bad message id', JSON.stringify({ ...valid, messageId: 'has space' }), 'INVALID_FRAME', 'r1'],
    ['an upper-case recipient', JSON.stringify({ ...valid, to: 'Bob' }), 'INVALID_FRAME', 'r1'],
    [
      'a long text',
      JSON.stringify({ ...valid, text: 'x'.repeat(LIMITS.maxTextLength + 1) }),
      'TEXT_TOO_LONG',
      'r1',
    ],
  ])('rejects %s with %s', (_name, body, code, requestId) => {
    const result = parseFrame(body);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.requestId).toBe(requestId);
    }
  });

  it('counts the limit in UTF-16 code units: 4001 units of emoji are too long', () => {
    const text = `${'😀'.repeat(LIMITS.maxTextLength / 2)}x`;
    const result = parseFrame(JSON.stringify({ ...valid, text }));
    expect(result.ok ? 'ok' : result.error.code).toBe('TEXT_TOO_LONG');
  });

  it.each([
    ['a lone high surrogate', 'a\ud83d b'],
    ['a lone low surrogate', 'a\ude00'],
    ['surrogates in the wrong order', '\ude00\ud83d'],
  ])('refuses text with %s as INVALID_FRAME', (_name, text) => {
    const result = parseFrame(JSON.stringify({ ...valid, text }));
    expect(result.ok ? 'ok' : result.error.code).toBe('INVALID_FRAME');
  });

  it('accepts a text of exactly the limit, counted in characters', () => {
    const text = '😀'.repeat(LIMITS.maxTextLength / 2);
    expect(parseFrame(JSON.stringify({ ...valid, text })).ok).toBe(true);
  });

  it('does not echo a request id longer than the id limit', () => {
    const result = parseFrame(
      JSON.stringify({ action: 'fly', requestId: 'x'.repeat(LIMITS.maxIdLength + 1) }),
    );
    expect(result.ok ? 'ok' : result.requestId).toBeUndefined();
  });
});
