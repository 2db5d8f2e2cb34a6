import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId, type TestSocket } from '../support/socket';

const harness = useRuntime();
const { open, connectionIds } = harness;

/** Closes the socket and waits until `$disconnect` has removed every connection record of the user but `keep`. */
async function leave(socket: TestSocket, userId: string, keep = 0): Promise<void> {
  await socket.close();
  for (let waited = 0; (await connectionIds(userId)).length > keep; waited += 20) {
    if (waited > 5000) throw new Error(`${userId} still has connection records`);
    await sleep(20);
  }
}

/**
 * Resolves once a `$disconnect` of the user (on `deviceId`, if given) has finished, and so has posted
 * every presence change it was going to post; a round trip on a watcher's socket then proves those
 * posts arrived. A positive signal, instead of waiting and hoping.
 */
async function disconnectDone(userId: string, deviceId?: string): Promise<void> {
  await expect
    .poll(() =>
      harness.runtime.telemetry
        .logs()
        .some(
          (record) =>
            record.message === 'disconnected' &&
            record.userId === userId &&
            (deviceId === undefined || record.deviceId === deviceId),
        ),
    )
    .toBe(true);
}

/** A user who signed in once and is offline now. */
async function signUp(userId: string): Promise<void> {
  await leave(await open(userId), userId);
}

const isPush = (userId: string, state?: string) => (frame: Frame) => {
  const users = frame.users as Frame[] | undefined;
  return (
    frame.type === 'presence' &&
    frame.requestId === undefined &&
    users?.length === 1 &&
    users[0]?.userId === userId &&
    (state === undefined || users[0]?.state === state)
  );
};

const pushes = (socket: TestSocket, userId: string) => socket.received.filter(isPush(userId));

async function presenceOf(viewer: TestSocket, userId: string): Promise<Frame | undefined> {
  const reply = await viewer.request({ action: 'getPresence', users: [userId] });
  expect(reply.type).toBe('presence');
  return (reply.users as Frame[])[0];
}

async function send(from: TestSocket, to: string): Promise<void> {
  const ack = await from.request({ action: 'sendMessage', messageId: newMessageId(), to, text: 'hi' });
  expect(ack.type).toBe('ack');
}

describe('settings', () => {
  it('answers updateSettings without fields with the defaults', async () => {
    const socket = await open('setty');
    const reply = await socket.request({ action: 'updateSettings', requestId: 's1' });
    expect(reply).toEqual({
      type: 'settings',
      requestId: 's1',
      readReceipts: true,
      lastSeenVisibility: 'everyone',
      pushPreviews: true,
    });
  });

  it('changes only the fields given and replies with all of them', async () => {
    const socket = await open('tweaky');
    expect(await socket.request({ action: 'updateSettings', readReceipts: false })).toMatchObject({
      readReceipts: false,
      lastSeenVisibility: 'everyone',
    });
    expect(await socket.request({ action: 'updateSettings', lastSeenVisibility: 'contacts' })).toMatchObject({
      readReceipts: false,
      lastSeenVisibility: 'contacts',
    });
    expect(await socket.request({ action: 'updateSettings' })).toMatchObject({
      readReceipts: false,
      lastSeenVisibility: 'contacts',
    });
    const profile = await harness.db.send(
      new GetCommand({ TableName: localTableName('users'), Key: { pk: 'user#tweaky', sk: '#profile' } }),
    );
    expect(profile.Item).toMatchObject({
      userId: 'tweaky',
      readReceipts: false,
      lastSeenVisibility: 'contacts',
    });
  });
});

describe('settings across devices', () => {
  it('pushes a change to the user’s other connections, and a read to none', async () => {
    const phone = await open('twodev', 'phone');
    const laptop = await open('twodev', 'laptop');
    await phone.request({ action: 'updateSettings' });
    await phone.request({ action: 'updateSettings', lastSeenVisibility: 'nobody' });
    const pushed = await laptop.next((frame) => frame.type === 'settings');
    expect(pushed).toEqual({
      type: 'settings',
      readReceipts: true,
      lastSeenVisibility: 'nobody',
      pushPreviews: true,
    });
    // The read that came first pushed nothing: the only settings event the laptop got is the change.
    expect(laptop.received.filter((frame) => frame.type === 'settings')).toHaveLength(1);
    expect(
      phone.received.filter((frame) => frame.type === 'settings' && frame.requestId === undefined),
    ).toEqual([]);
  });
});

describe('presence on connect and disconnect', () => {
  it('tells a watcher when a user comes online and goes offline, with last seen at the disconnect', async () => {
    await signUp('tina');
    const watcher = await open('walt');
    expect(await presenceOf(watcher, 'tina')).toMatchObject({ userId: 'tina', state: 'offline' });

    const tina = await open('tina');
    expect(await watcher.next(isPush('tina', 'online'))).toEqual({
      type: 'presence',
      users: [{ userId: 'tina', state: 'online' }],
    });
    expect(await presenceOf(watcher, 'tina')).toEqual({ userId: 'tina', state: 'online' });

    const before = Date.now();
    await tina.close();
    const offline = await watcher.next(isPush('tina', 'offline'));
    const lastSeen = Number((offline.users as Frame[])[0]?.lastSeen);
    expect(lastSeen).toBeGreaterThanOrEqual(before);
    expect(lastSeen).toBeLessThanOrEqual(Date.now());
    expect(await presenceOf(watcher, 'tina')).toEqual({ userId: 'tina', state: 'offline', lastSeen });
  });

  it('tells the peer of a conversation without being asked', async () => {
    const paul = await open('paul');
    const quinn = await open('quinn');
    await send(quinn, 'paul');
    await quinn.close();
    await paul.next(isPush('quinn', 'offline'));
    await open('quinn');
    await paul.next(isPush('quinn', 'online'));
  });

  it('keeps a user with several devices online until the last one leaves', async () => {
    await signUp('dev');
    const watcher = await open('wendy');
    await presenceOf(watcher, 'dev');
    const phone = await open('dev', 'phone');
    await watcher.next(isPush('dev', 'online'));
    const laptop = await open('dev', 'laptop');
    await leave(phone, 'dev', 1);
    await disconnectDone('dev', 'phone');

    expect(await presenceOf(watcher, 'dev')).toEqual({ userId: 'dev', state: 'online' });
    expect(pushes(watcher, 'dev').map((frame) => (frame.users as Frame[])[0]?.state)).toEqual(['online']);

    await laptop.close();
    await watcher.next(isPush('dev', 'offline'));
    expect(pushes(watcher, 'dev').map((frame) => (frame.users as Frame[])[0]?.state)).toEqual([
      'online',
      'offline',
    ]);
  });
});

describe('last-seen visibility', () => {
  /** Connects each user with the given visibility; a pair in `contacts` exchanges a message. */
  async function world(
    visibility: Record<string, 'everyone' | 'contacts' | 'nobody'>,
    contacts: [string, string][],
  ): Promise<Map<string, TestSocket>> {
    const sockets = new Map<string, TestSocket>();
    for (const [userId, lastSeenVisibility] of Object.entries(visibility)) {
      const socket = await open(userId);
      await socket.request({ action: 'updateSettings', lastSeenVisibility });
      sockets.set(userId, socket);
    }
    // Contacts have both written in their conversation.
    for (const [a, b] of contacts) {
      const [first, second] = [sockets.get(a), sockets.get(b)];
      if (!first || !second) throw new Error(`no socket for ${a} or ${b}`);
      await send(first, b);
      await send(second, a);
    }
    return sockets;
  }

  async function view(sockets: Map<string, TestSocket>, viewer: string, targets: string[]) {
    const socket = sockets.get(viewer);
    if (!socket) throw new Error(`no socket for ${viewer}`);
    const reply = await socket.request({ action: 'getPresence', users: targets });
    return Object.fromEntries((reply.users as Frame[]).map((p) => [p.userId, p.state]));
  }

  it('does not make a contact of someone whose message was never answered', async () => {
    const sockets = await world({ 'u-guarded': 'contacts', 'u-pest': 'everyone' }, []);
    const pest = sockets.get('u-pest');
    if (!pest) throw new Error('no socket');
    await send(pest, 'u-guarded');
    expect(await view(sockets, 'u-pest', ['u-guarded'])).toEqual({ 'u-guarded': 'hidden' });
    const guarded = sockets.get('u-guarded');
    if (!guarded) throw new Error('no socket');
    await send(guarded, 'u-pest');
    expect(await view(sockets, 'u-pest', ['u-guarded'])).toEqual({ 'u-guarded': 'online' });
    // Hiding the conversation ends the contact until both write again.
    await guarded.request({ action: 'hideConversation', conversationId: 'u-guarded:u-pest' });
    expect(await view(sockets, 'u-pest', ['u-guarded'])).toEqual({ 'u-guarded': 'hidden' });
  });

  it('applies everyone, contacts and nobody, both ways, and hides unknown users', async () => {
    const sockets = await world(
      { 'v-open': 'everyone', 'v-friendly': 'contacts', 'v-private': 'nobody', 'v-pal': 'everyone' },
      [
        ['v-pal', 'v-friendly'],
        ['v-pal', 'v-private'],
      ],
    );
    // A contact sees a "contacts" user; nobody sees a "nobody" user, not even a contact.
    expect(await view(sockets, 'v-pal', ['v-open', 'v-friendly', 'v-private', 'v-nobody-such'])).toEqual({
      'v-open': 'online',
      'v-friendly': 'online',
      'v-private': 'hidden',
      'v-nobody-such': 'hidden',
    });
    // A stranger does not see a "contacts" user.
    expect(await view(sockets, 'v-open', ['v-friendly', 'v-pal'])).toEqual({
      'v-friendly': 'hidden',
      'v-pal': 'online',
    });
    // Two-way: whoever hides from someone cannot see them either.
    expect(await view(sockets, 'v-friendly', ['v-open', 'v-pal'])).toEqual({
      'v-open': 'hidden',
      'v-pal': 'online',
    });
    expect(await view(sockets, 'v-private', ['v-open', 'v-pal'])).toEqual({
      'v-open': 'hidden',
      'v-pal': 'hidden',
    });
  });

  it('pushes changes only to watchers who may see them', async () => {
    await signUp('shy');
    const friend = await open('shy-friend');
    const stranger = await open('shy-stranger');
    const shy = await open('shy');
    await shy.request({ action: 'updateSettings', lastSeenVisibility: 'contacts' });
    await send(friend, 'shy');
    await send(shy, 'shy-friend');
    const [friendView, strangerView] = await Promise.all([
      presenceOf(friend, 'shy'),
      presenceOf(stranger, 'shy'),
    ]);
    expect(friendView).toEqual({ userId: 'shy', state: 'online' });
    expect(strangerView).toEqual({ userId: 'shy', state: 'hidden' });

    await shy.close();
    await friend.next(isPush('shy', 'offline'));
    await disconnectDone('shy');
    await stranger.request({ action: 'heartbeat' });
    expect(pushes(stranger, 'shy')).toEqual([]);
  });
});

describe('bad frames', () => {
  const cases: { name: string; frame: Frame }[] = [
    { name: 'getPresence without users', frame: { action: 'getPresence', users: [] } },
    {
      name: 'getPresence with too many users',
      frame: {
        action: 'getPresence',
        users: Array.from({ length: LIMITS.maxPresenceUsers + 1 }, (_, i) => `u${i}`),
      },
    },
    { name: 'getPresence with an invalid user id', frame: { action: 'getPresence', users: ['Not Valid'] } },
    { name: 'typing without a state', frame: { action: 'typing', to: 'bob' } },
    { name: 'typing with an unknown state', frame: { action: 'typing', to: 'bob', state: 'thinking' } },
    {
      name: 'updateSettings with an unknown visibility',
      frame: { action: 'updateSettings', lastSeenVisibility: 'friends' },
    },
    { name: 'updateSettings with a mistyped field', frame: { action: 'updateSettings', readReceipts: 'no' } },
    { name: 'updateSettings with an extra field', frame: { action: 'updateSettings', theme: 'dark' } },
  ];

  it.each(cases)('answers $name with INVALID_FRAME and the request id', async ({ frame }) => {
    const socket = await open('bad-framer');
    const requestId = newMessageId();
    const reply = await socket.request({ ...frame, requestId });
    expect(reply).toMatchObject({ type: 'error', requestId, code: 'INVALID_FRAME' });
    await socket.close();
  });
});
