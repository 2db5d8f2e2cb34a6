import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_EVENT_TYPES } from '../../contract/protocol/event-types';
import { KNOWN_ACTIONS, parseFrame } from '../../contract/protocol/parse';

/**
 * docs/protocol.md is the contract clients are written from: every client frame it shows must be
 * accepted as it stands, and every action and event type the code knows must be documented.
 */
const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
const examples = [...doc.matchAll(/```json\n([\s\S]*?)\n```/g)].map(
  (match) => JSON.parse(match[1] ?? '') as unknown,
);
const withKey = (key: string) =>
  examples.filter(
    (example): example is Record<string, unknown> =>
      typeof example === 'object' && example !== null && key in example,
  );

describe('docs/protocol.md', () => {
  const frames = withKey('action');

  it.each(frames.map((frame) => [String(frame.action), frame]))(
    'shows a %s frame the server accepts',
    (_action, frame) => {
      expect(parseFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    },
  );

  it('shows an example of every action', () => {
    const shown = new Set(frames.map((frame) => frame.action));
    expect([...KNOWN_ACTIONS].filter((action) => !shown.has(action))).toEqual([]);
  });

  it('shows an example of every server event', () => {
    const shown = new Set(withKey('type').map((event) => event.type));
    expect(Object.keys(SERVER_EVENT_TYPES).filter((type) => !shown.has(type))).toEqual([]);
  });
});
