import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import { localTableName } from '../../local/provision';
import { useRuntime } from '../support/harness';
import type { Frame, TestSocket } from '../support/socket';

/**
 * A connection counts as offline 3 s after its last heartbeat; the sweeper looks every 250 ms. Clients
 * beat six times per TTL, so a slow machine (DynamoDB Local under load) does not lapse them by accident.
 */
const TTL_MS = 3000;
const HEARTBEAT_MS = 500;
const SWEEP_MS = 250;

const harness = useRuntime({
  timings: { connectionTtlMs: TTL_MS, heartbeatIntervalMs: HEARTBEAT_MS },
  scheduleEveryMs: { sweeper: SWEEP_MS },
});
const { connectionIds } = harness;
const heartbeats: NodeJS.Timeout[] = [];

/** Opens a socket that sends heartbeats on the interval, as a well-behaved client does. */
async function openAlive(username: string, deviceId?: string): Promise<TestSocket> {
  const socket = await openSilent(username, deviceId);
  heartbeats.push(setInterval(() => socket.send({ action: 'heartbeat' }), HEARTBEAT_MS));
  return socket;
}

/** Opens a socket that stays open but never sends a heartbeat (a client asleep in the background). */
function openSilent(username: string, deviceId?: string): Promise<TestSocket> {
  return harness.open(username, deviceId);
}

const isPush = (userId: string, state: string) => (frame: Frame) => {
  const users = frame.users as Frame[] | undefined;
  return (
    frame.type === 'presence' &&
    frame.requestId === undefined &&
    users?.[0]?.userId === userId &&
    users[0]?.state === state
  );
};

async function presenceOf(viewer: TestSocket, userId: string): Promise<Frame | undefined> {
  const reply = await viewer.request({ action: 'getPresence', users: [userId] });
  return (reply.users as Frame[])[0];
}

let canaries = 0;

/**
 * Resolves once the sweeper has taken a canary offline: a connection record of a user with no socket,
 * fresh until `freshUntil`. Sweeps run one after another, and a sweep removes every lapsed record before
 * it announces anyone, so by then every record that lapsed before the canary's is gone and its
 * announcements have reached the watcher. A positive signal, instead of waiting and hoping.
 */
async function sweptPast(watcher: TestSocket, freshUntil: number): Promise<void> {
  const userId = `canary${++canaries}`;
  const users = new DynamoUserStore(harness.db, localTableName('users'));
  await users.addConnection({
    userId,
    connectionId: `Canary${canaries}=`,
    deviceId: 'canary',
    connectedAt: Date.now(),
    freshUntil,
  });
  await presenceOf(watcher, userId);
  await watcher.next(isPush(userId, 'offline'), 10_000);
}

afterAll(() => {
  for (const timer of heartbeats) clearInterval(timer);
});

describe('heartbeat lapse', () => {
  it('takes a device that vanished without $disconnect offline, tells the watcher, and keeps its last activity', async () => {
    const watcher = await openAlive('warden');
    // The record of a device whose socket is gone and whose $disconnect never came: it connected, sent
    // a last heartbeat once the watcher was looking, and vanished.
    const users = new DynamoUserStore(harness.db, localTableName('users'));
    const connectedAt = Date.now();
    await users.addConnection({
      userId: 'ghost',
      connectionId: 'VanishedConnection=',
      deviceId: 'old-phone',
      connectedAt,
      freshUntil: connectedAt + TTL_MS,
    });
    expect(await presenceOf(watcher, 'ghost')).toEqual({ userId: 'ghost', state: 'online' });
    const lastBeat = Date.now();
    expect(await users.refreshConnection('ghost', 'VanishedConnection=', lastBeat + TTL_MS, lastBeat)).toBe(
      true,
    );

    const offline = await watcher.next(isPush('ghost', 'offline'), 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(lastBeat + TTL_MS);
    expect(offline.users).toEqual([{ userId: 'ghost', state: 'offline', lastSeen: lastBeat }]);
    expect(await connectionIds('ghost')).toEqual([]);
    expect(await presenceOf(watcher, 'ghost')).toEqual({
      userId: 'ghost',
      state: 'offline',
      lastSeen: lastBeat,
    });
  });

  it('keeps a user who sends heartbeats online past the connection TTL', async () => {
    const watcher = await openAlive('keeper');
    await openAlive('steady');
    expect(await presenceOf(watcher, 'steady')).toEqual({ userId: 'steady', state: 'online' });
    // steady's first record ran out by then, unless its heartbeats moved it on.
    await sweptPast(watcher, Date.now() + TTL_MS);
    expect(await presenceOf(watcher, 'steady')).toEqual({ userId: 'steady', state: 'online' });
    expect(watcher.received.filter(isPush('steady', 'offline'))).toEqual([]);
    expect(await connectionIds('steady')).toHaveLength(1);
  });

  it('takes a silent socket offline at its last heartbeat, and back online with its next one', async () => {
    const watcher = await openAlive('minder');
    const sleepy = await openSilent('sleepy');
    const beat = await sleepy.request({ action: 'heartbeat' });
    const lastActivity = Number(beat.expiresAt) - TTL_MS;
    await presenceOf(watcher, 'sleepy');

    const offline = await watcher.next(isPush('sleepy', 'offline'), 10_000);
    expect(offline.users).toEqual([{ userId: 'sleepy', state: 'offline', lastSeen: lastActivity }]);

    expect((await sleepy.request({ action: 'heartbeat' })).type).toBe('heartbeat');
    await watcher.next(isPush('sleepy', 'online'));
    expect(await presenceOf(watcher, 'sleepy')).toEqual({ userId: 'sleepy', state: 'online' });
  });

  it('keeps a user online while another device still sends heartbeats', async () => {
    const watcher = await openAlive('overseer');
    await openAlive('multi', 'phone');
    await openSilent('multi', 'tablet');
    await presenceOf(watcher, 'multi');
    for (let waited = 0; (await connectionIds('multi')).length > 1; waited += 50) {
      if (waited > 10_000) throw new Error('the silent device was never swept');
      await sleep(50);
    }
    await sweptPast(watcher, Date.now());
    expect(await presenceOf(watcher, 'multi')).toEqual({ userId: 'multi', state: 'online' });
    expect(watcher.received.filter(isPush('multi', 'offline'))).toEqual([]);
  });
});
