import { describe, expect, it } from 'vitest';
import {
  announceOnline,
  type ConnectionDeps,
  closeConnection,
  openConnection,
  sweepConnections,
} from '../../lambdas/core/connections';
import {
  type Connection,
  type ConversationHead,
  DEFAULT_SETTINGS,
  type Profile,
  type Removal,
  type UserState,
  type UserStore,
} from '../../lambdas/core/ports';
import { resolvePresence } from '../../lambdas/core/presence';

const presenceFor = async (...args: Parameters<typeof resolvePresence>) =>
  (await resolvePresence(...args)).map((entry) => entry.presence);

import type { LastSeenVisibility, ServerEvent, Settings } from '../../contract/protocol/frames';
import { conversationIdOf, participantsOf } from '../../contract/protocol/ids';
import { createTypingLimiter } from '../../lambdas/core/typing';

/**
 * The user store's contract, in memory: fresh means freshUntil > now, as the DynamoDB store reads it.
 * A heartbeat moves a connection's freshUntil but not the one the sweeper's index keeps (`stored`).
 */
class MemoryUsers implements UserStore {
  readonly profiles = new Map<string, Profile>();
  readonly connections = new Map<string, Connection>();
  readonly stored = new Map<string, number>();
  readonly watchers = new Map<string, Map<string, number>>();

  async addConnection(connection: Connection): Promise<void> {
    this.connections.set(connection.connectionId, { ...connection });
    this.stored.set(connection.connectionId, connection.freshUntil);
    const profile = this.profiles.get(connection.userId);
    this.profiles.set(connection.userId, {
      ...DEFAULT_SETTINGS,
      createdAt: connection.connectedAt,
      signedOutAt: 0,
      blocked: [],
      muted: [],
      pushDevices: [],
      ...profile,
      userId: connection.userId,
      lastActiveAt: connection.connectedAt,
    });
  }

  async setBlocked(userId: string, targetId: string, blocked: boolean): Promise<boolean> {
    const profile = this.profiles.get(userId);
    if (profile) {
      const others = profile.blocked.filter((id) => id !== targetId);
      profile.blocked = blocked ? [...others, targetId] : others;
    }
    return true;
  }

  async recordSignOut(userId: string, at: number): Promise<void> {
    const profile = this.profiles.get(userId);
    if (profile) profile.signedOutAt = at;
  }

  async removeConnection(userId: string, connectionId: string, when?: Removal) {
    const connection = this.connections.get(connectionId);
    if (!connection || (when && 'ifLapsedAt' in when && connection.freshUntil > when.ifLapsedAt))
      return undefined;
    if (when && 'activeAt' in when && connection.freshUntil > when.activeAt)
      await this.recordActivity(userId, when.activeAt);
    this.connections.delete(connectionId);
    this.stored.delete(connectionId);
    return connection;
  }

  async refreshConnection(userId: string, connectionId: string, freshUntil: number, now: number) {
    const connection = this.connections.get(connectionId);
    if (!connection || connection.freshUntil <= now) return false;
    connection.freshUntil = freshUntil;
    await this.recordActivity(userId, now);
    return true;
  }

  async getUser(userId: string, now: number): Promise<UserState> {
    const profile = this.profiles.get(userId);
    return {
      profile: profile && { ...profile },
      connections: [...this.connections.values()].filter((c) => c.userId === userId && c.freshUntil > now),
    };
  }

  async getUsers(userIds: readonly string[], now: number): Promise<Map<string, UserState>> {
    return new Map(await Promise.all(userIds.map(async (id) => [id, await this.getUser(id, now)] as const)));
  }

  async recordActivity(userId: string, at: number): Promise<void> {
    const profile = this.profiles.get(userId);
    if (profile) profile.lastActiveAt = at;
  }

  async updateSettings(userId: string, changes: Partial<Settings>): Promise<Settings> {
    const profile = this.profiles.get(userId);
    if (!profile) throw new Error(`no profile for ${userId}`);
    Object.assign(profile, changes);
    const { readReceipts, lastSeenVisibility, pushPreviews } = profile;
    return { readReceipts, lastSeenVisibility, pushPreviews };
  }

  async addWatchers(viewerId: string, targetIds: readonly string[], freshUntil: number): Promise<void> {
    for (const targetId of targetIds) {
      const watchers = this.watchers.get(targetId) ?? new Map<string, number>();
      watchers.set(viewerId, freshUntil);
      this.watchers.set(targetId, watchers);
    }
  }

  async watchersOf(userId: string, now: number, limit: number): Promise<string[]> {
    const watchers = [...(this.watchers.get(userId) ?? new Map<string, number>())];
    return watchers
      .filter(([, freshUntil]) => freshUntil > now)
      .map(([viewerId]) => viewerId)
      .slice(0, limit);
  }

  async expiredConnections(now: number): Promise<Connection[]> {
    return [...this.connections.values()]
      .map((c) => ({ ...c, freshUntil: this.stored.get(c.connectionId) ?? c.freshUntil }))
      .filter((c) => c.freshUntil < now);
  }

  /** A signed-in user with these settings, optionally connected until `freshUntil`. */
  user(userId: string, settings: Partial<Settings> = {}, freshUntil?: number): void {
    this.profiles.set(userId, {
      userId,
      createdAt: 1,
      lastActiveAt: 100,
      signedOutAt: 0,
      blocked: [],
      muted: [],
      pushDevices: [],
      ...DEFAULT_SETTINGS,
      ...settings,
    });
    if (freshUntil !== undefined) {
      this.connections.set(`${userId}-c`, {
        userId,
        connectionId: `${userId}-c`,
        deviceId: 'd',
        connectedAt: 1,
        freshUntil,
      });
    }
  }
}

function head(conversationId: string, activity: number): ConversationHead {
  const participants = participantsOf(conversationId);
  if (!participants) throw new Error(`bad id ${conversationId}`);
  // Both wrote: the two are contacts.
  const side = (userId: string) => ({ userId, delivered: 0, seen: 0, cleared: 0, sent: true });
  return {
    conversationId,
    lastSeq: 1,
    lastMessage: null,
    activity: String(activity).padStart(15, '0'),
    lo: side(participants.lo),
    hi: side(participants.hi),
  };
}

/** Conversations that exist, with a count of head lookups so tests can see what was asked. */
class MemoryConversations {
  readonly heads = new Map<string, ConversationHead>();
  lookups = 0;

  between(a: string, b: string, activity = 1): void {
    const id = conversationIdOf(a, b);
    this.heads.set(id, head(id, activity));
  }

  async get(conversationId: string) {
    this.lookups++;
    return this.heads.get(conversationId);
  }

  async listForUser(userId: string, limit: number) {
    const mine = [...this.heads.values()]
      .filter((h) => h.lo.userId === userId || h.hi.userId === userId)
      .sort((a, b) => (a.activity < b.activity ? 1 : -1));
    return { conversations: mine.slice(0, limit), hasMore: mine.length > limit };
  }
}

class RecordingNotifier {
  readonly posts: { connectionId: string; event: ServerEvent }[] = [];

  async post(connectionId: string, event: ServerEvent) {
    this.posts.push({ connectionId, event });
    return 'sent' as const;
  }

  readonly disconnected: string[] = [];

  async disconnect(connectionId: string) {
    this.disconnected.push(connectionId);
  }
}

/** A token issued long before and valid long after the times these tests use. */
const TOKEN = { issuedAt: 1, expiresAt: Number.MAX_SAFE_INTEGER };

function setup(now = 1_000) {
  const users = new MemoryUsers();
  const conversations = new MemoryConversations();
  const notifier = new RecordingNotifier();
  const clock = { now: () => now };
  const deps: ConnectionDeps = {
    users,
    conversations,
    notifier,
    clock,
    connectionTtlMs: 500,
    heartbeatIntervalMs: 100,
  };
  return { users, conversations, notifier, deps, clock };
}

describe('presenceFor', () => {
  const cases: {
    target: LastSeenVisibility;
    viewer: LastSeenVisibility;
    contacts: boolean;
    visible: boolean;
  }[] = [
    { target: 'everyone', viewer: 'everyone', contacts: false, visible: true },
    { target: 'contacts', viewer: 'everyone', contacts: true, visible: true },
    { target: 'contacts', viewer: 'everyone', contacts: false, visible: false },
    { target: 'nobody', viewer: 'everyone', contacts: true, visible: false },
    { target: 'everyone', viewer: 'contacts', contacts: false, visible: false },
    { target: 'everyone', viewer: 'contacts', contacts: true, visible: true },
    { target: 'everyone', viewer: 'nobody', contacts: true, visible: false },
    { target: 'contacts', viewer: 'contacts', contacts: true, visible: true },
  ];

  it.each(cases)(
    'shows a target with $target to a viewer with $viewer (contacts: $contacts): $visible',
    async ({ target, viewer, contacts, visible }) => {
      const { users, conversations } = setup();
      users.user('tess', { lastSeenVisibility: target }, 2_000);
      users.user('vic', { lastSeenVisibility: viewer });
      if (contacts) conversations.between('tess', 'vic');
      const [presence] = await presenceFor({ users, conversations }, 'vic', ['tess'], 1_000, []);
      expect(presence).toEqual(
        visible ? { userId: 'tess', state: 'online' } : { userId: 'tess', state: 'hidden' },
      );
    },
  );

  it('gives online, offline with the last activity, and hidden for an unknown user, once each in order', async () => {
    const { users, conversations } = setup();
    users.user('vic');
    users.user('on', {}, 2_000);
    users.user('off', {}, 900);
    const presence = await presenceFor(
      { users, conversations },
      'vic',
      ['off', 'ghost', 'on', 'off'],
      1_000,
      [],
    );
    expect(presence).toEqual([
      { userId: 'off', state: 'offline', lastSeen: 100 },
      { userId: 'ghost', state: 'hidden' },
      { userId: 'on', state: 'online' },
    ]);
  });

  it('always shows viewers their own presence', async () => {
    const { users, conversations } = setup();
    users.user('vic', { lastSeenVisibility: 'nobody' }, 2_000);
    expect(await presenceFor({ users, conversations }, 'vic', ['vic'], 1_000, [])).toEqual([
      { userId: 'vic', state: 'online' },
    ]);
  });

  it('looks contacts up only when a setting needs them, and not for contacts the caller names', async () => {
    const { users, conversations } = setup();
    users.user('vic', { lastSeenVisibility: 'contacts' });
    users.user('a', {}, 2_000);
    users.user('b', {}, 2_000);
    users.user('c', { lastSeenVisibility: 'nobody' }, 2_000);
    conversations.between('vic', 'a');
    conversations.between('vic', 'b');
    const known = [...conversations.heads.values()].filter((head) => head.conversationId === 'a:vic');
    const presence = await presenceFor({ users, conversations }, 'vic', ['a', 'b', 'c'], 1_000, known);
    expect(presence.map((p) => p.state)).toEqual(['online', 'online', 'hidden']);
    expect(conversations.lookups).toBe(1);
  });

  it('counts as contacts only people who both wrote: an unanswered message makes no contact', async () => {
    const { users, conversations } = setup();
    users.user('vic', { lastSeenVisibility: 'contacts' }, 2_000);
    users.user('stranger', {}, 2_000);
    conversations.between('vic', 'stranger');
    const unanswered = conversations.heads.get('stranger:vic');
    if (unanswered) unanswered.hi.sent = false;
    expect(await presenceFor({ users, conversations }, 'stranger', ['vic'], 1_000, [])).toEqual([
      { userId: 'vic', state: 'hidden' },
    ]);
    if (unanswered) unanswered.hi.sent = true;
    expect(await presenceFor({ users, conversations }, 'stranger', ['vic'], 1_000, [])).toEqual([
      { userId: 'vic', state: 'online' },
    ]);
  });
});

describe('presence transitions', () => {
  const presenceEvents = (notifier: RecordingNotifier) =>
    notifier.posts.filter((post) => post.event.type === 'presence');

  it('tells watchers and conversation peers who may see it, on their live connections only', async () => {
    const { users, conversations, notifier, deps } = setup();
    users.user('sam');
    users.user('peer', {}, 5_000);
    users.user('watcher', {}, 5_000);
    users.user('stranger', { lastSeenVisibility: 'contacts' }, 5_000);
    users.user('asleep');
    conversations.between('sam', 'peer');
    conversations.between('sam', 'asleep');
    await users.addWatchers('watcher', ['sam'], 5_000);
    await users.addWatchers('stranger', ['sam'], 5_000);
    await users.addWatchers('expired', ['sam'], 900);

    const opened = await openConnection(
      deps,
      { userId: 'sam', connectionId: 'sam-1', deviceId: 'phone' },
      TOKEN,
    );
    expect(opened).toEqual({ cameOnline: true });
    // The drain function announces after $connect returns.
    await announceOnline(deps, 'sam');

    expect(
      presenceEvents(notifier)
        .map((post) => post.connectionId)
        .sort(),
    ).toEqual(['peer-c', 'watcher-c']);
    expect(notifier.posts[0]?.event).toEqual({
      type: 'presence',
      users: [{ userId: 'sam', state: 'online' }],
    });
  });

  it('announces a second device neither online nor, when it leaves, offline', async () => {
    const { users, conversations, notifier, deps } = setup();
    users.user('sam');
    users.user('peer', {}, 5_000);
    conversations.between('sam', 'peer');
    expect(
      await openConnection(deps, { userId: 'sam', connectionId: 'sam-1', deviceId: 'phone' }, TOKEN),
    ).toEqual({
      cameOnline: true,
    });
    await announceOnline(deps, 'sam');
    expect(
      await openConnection(deps, { userId: 'sam', connectionId: 'sam-2', deviceId: 'laptop' }, TOKEN),
    ).toEqual({
      cameOnline: false,
    });
    await closeConnection(deps, { userId: 'sam', connectionId: 'sam-1' });
    expect(presenceEvents(notifier).map((post) => post.event)).toEqual([
      { type: 'presence', users: [{ userId: 'sam', state: 'online' }] },
    ]);
    await closeConnection(deps, { userId: 'sam', connectionId: 'sam-2' });
    expect(presenceEvents(notifier).at(-1)?.event).toEqual({
      type: 'presence',
      users: [{ userId: 'sam', state: 'offline', lastSeen: 1_000 }],
    });
  });

  it('keeps the last activity as last seen when a lapsed connection is closed', async () => {
    const { users, conversations, notifier, deps } = setup(1_000);
    users.user('sam', {}, 800);
    users.user('peer', {}, 5_000);
    conversations.between('sam', 'peer');
    await closeConnection(deps, { userId: 'sam', connectionId: 'sam-c' });
    expect(presenceEvents(notifier).map((post) => post.event)).toEqual([
      { type: 'presence', users: [{ userId: 'sam', state: 'offline', lastSeen: 100 }] },
    ]);
  });

  it('sweeps lapsed connections, leaves those heartbeats refreshed, and announces each user once', async () => {
    const { users, conversations, notifier, deps } = setup(1_000);
    users.user('peer', {}, 5_000);
    // Stored with a freshness that lapsed, kept fresh by heartbeats since: read, not removed.
    users.stored.set('peer-c', 900);
    for (const userId of ['gone', 'saved']) {
      users.user(userId);
      conversations.between(userId, 'peer');
    }
    const lapsed = (userId: string, connectionId: string) =>
      users.connections.set(connectionId, {
        userId,
        connectionId,
        deviceId: connectionId,
        connectedAt: 1,
        freshUntil: 900,
      });
    lapsed('gone', 'g1');
    lapsed('gone', 'g2');
    const expiredToken = users.connections.get('g2');
    if (expiredToken) expiredToken.tokenExpiresAt = 900;
    lapsed('saved', 's1');
    // Left over from a connect whose profile write failed: its user has no profile.
    lapsed('nobody', 'o1');
    // A heartbeat lands between the sweeper's read of the profiles and its removal.
    const getUsers = users.getUsers.bind(users);
    users.getUsers = async (userIds, now) => {
      const found = await getUsers(userIds, now);
      const saved = users.connections.get('s1');
      if (saved) saved.freshUntil = 1_500;
      return found;
    };

    expect(await sweepConnections(deps)).toEqual({ checked: 5, expired: 4, removed: 3, offline: 1 });
    expect([...users.connections.keys()].sort()).toEqual(['peer-c', 's1']);
    // Lapsed sockets stay open: a heartbeat brings them back. Only one whose token ran out is closed.
    expect(notifier.disconnected).toEqual(['g2']);
    expect(presenceEvents(notifier).map((post) => post.event)).toEqual([
      { type: 'presence', users: [{ userId: 'gone', state: 'offline', lastSeen: 100 }] },
    ]);
  });
});

describe('typing limiter', () => {
  it('passes one frame per interval and key', () => {
    const limiter = createTypingLimiter(1_000);
    expect(limiter.admit('c1 bob', 'typing', 0)).toBe(true);
    expect(limiter.admit('c1 bob', 'typing', 500)).toBe(false);
    expect(limiter.admit('c1 ann', 'typing', 500)).toBe(true);
    expect(limiter.admit('c1 bob', 'typing', 1_000)).toBe(true);
  });

  it('always passes a "stopped" right after a "typing", and nothing more within the interval', () => {
    const limiter = createTypingLimiter(1_000);
    expect(limiter.admit('k', 'typing', 0)).toBe(true);
    expect(limiter.admit('k', 'stopped', 100)).toBe(true);
    expect(limiter.admit('k', 'stopped', 200)).toBe(false);
    expect(limiter.admit('k', 'typing', 300)).toBe(false);
  });
});
