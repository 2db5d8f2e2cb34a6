import type { FrameOf, Presence, ServerEvent, Settings } from '../../contract/protocol/frames';
import { conversationIdOf, sideOf } from '../../contract/protocol/ids';
import { blockedBetween } from './blocking';
import { pushToConnections } from './delivery';
import {
  type Clock,
  type Connection,
  type ConnectionNotifier,
  type ConversationHead,
  type ConversationStore,
  DEFAULT_SETTINGS,
  type Profile,
  type UserState,
  type UserStore,
} from './ports';

export interface PresenceDeps {
  users: UserStore;
  /** A conversation both have written in makes two users contacts for `lastSeenVisibility: "contacts"`. */
  conversations: Pick<ConversationStore, 'get' | 'listForUser'>;
}

export interface GetPresenceDeps extends PresenceDeps {
  clock: Clock;
  presenceWatchMs: number;
}

/** Replies with the users' presence and subscribes the asker to their changes for a while. */
export async function getPresence(
  deps: GetPresenceDeps,
  viewerId: string,
  frame: FrameOf<'getPresence'>,
): Promise<ServerEvent> {
  const now = deps.clock.now();
  const resolved = await resolvePresence(deps, viewerId, frame.users, now, []);
  // Hidden users are watched too: a change of settings may reveal them, and every push is filtered anyway.
  const watched = resolved.filter((entry) => entry.exists && entry.presence.userId !== viewerId);
  if (watched.length > 0) {
    await deps.users.addWatchers(
      viewerId,
      watched.map((entry) => entry.presence.userId),
      now + deps.presenceWatchMs,
    );
  }
  return {
    type: 'presence',
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    users: resolved.map((entry) => entry.presence),
  };
}

export interface PresenceChangeDeps extends PresenceDeps {
  notifier: ConnectionNotifier;
  clock: Clock;
}

/** A transition reaches the peers of this many most recent conversations, and as many watchers. */
const MAX_AUDIENCE_PEERS = 100;
const MAX_AUDIENCE_WATCHERS = 100;

/** Whose presence changed: their id and the settings that decide who may be told. */
export type PresenceSubject = Pick<Profile, 'userId' | 'blocked'> & Settings;

/**
 * Tells the subject's watchers and the peers of their recent conversations that the subject came
 * online or went offline: one `presence` event to each live connection of each of them who may see
 * it. Returns how many posts went through.
 */
export async function announcePresence(
  deps: PresenceChangeDeps,
  subject: PresenceSubject,
  presence: Presence,
  now: number,
): Promise<number> {
  const [watchers, recent] = await Promise.all([
    deps.users.watchersOf(subject.userId, now, MAX_AUDIENCE_WATCHERS),
    deps.conversations.listForUser(subject.userId, MAX_AUDIENCE_PEERS),
  ]);
  const peers = recent.conversations.flatMap(
    (head) => sideOf(head.conversationId, subject.userId)?.peer ?? [],
  );
  const isContact = contactLookup(deps, recent.conversations);
  const audience = new Set([...watchers, ...peers]);
  audience.delete(subject.userId);
  const event: ServerEvent = { type: 'presence', users: [presence] };
  // One batched read for the whole audience rather than one read per viewer.
  const viewers = await deps.users.getUsers([...audience], now);
  const sent = await Promise.all(
    [...viewers].map(async ([viewerId, viewer]) => {
      if (!viewer.profile || viewer.connections.length === 0) return 0;
      const allowed =
        !blockedBetween(viewer.profile, subject) &&
        (await mutuallyVisible(viewer.profile, subject, () => isContact(viewerId, subject.userId)));
      return allowed ? pushToConnections(deps, viewer.connections, event) : 0;
    }),
  );
  return sent.reduce((total, count) => total + count, 0);
}

/** A user's presence as anyone allowed to see it sees it. */
function presenceOf(profile: Profile, connections: readonly Connection[]): Presence {
  if (connections.length > 0) return { userId: profile.userId, state: 'online' };
  return { userId: profile.userId, state: 'offline', lastSeen: profile.lastActiveAt };
}

export interface ResolvedPresence {
  presence: Presence;
  /** The user has signed in at least once. */
  exists: boolean;
}

/**
 * What `viewerId` may know of each target: "online", "offline" with the last activity, or "hidden"
 * (either side's lastSeenVisibility forbids it, or no such user). One entry per distinct target, in
 * the order given. `knownContacts` names targets the caller already knows share a conversation with
 * the viewer (a conversation list's peers): each saves a lookup.
 */
export async function resolvePresence(
  deps: PresenceDeps,
  viewerId: string,
  targetIds: readonly string[],
  now: number,
  knownHeads: readonly ConversationHead[],
): Promise<ResolvedPresence[]> {
  const states = await deps.users.getUsers([viewerId, ...targetIds], now);
  return presenceFromStates(deps, viewerId, targetIds, states, knownHeads);
}

/**
 * resolvePresence over users already read: `states` holds the viewer and every target. A caller that read
 * them for its own reasons (the conversation list) saves reading them again.
 */
export async function presenceFromStates(
  deps: PresenceDeps,
  viewerId: string,
  targetIds: readonly string[],
  states: ReadonlyMap<string, UserState>,
  knownHeads: readonly ConversationHead[],
): Promise<ResolvedPresence[]> {
  const viewer = states.get(viewerId)?.profile;
  const viewerSettings = viewer ?? DEFAULT_SETTINGS;
  const isContact = contactLookup(deps, knownHeads);
  return Promise.all(
    [...new Set(targetIds)].map(async (userId): Promise<ResolvedPresence> => {
      const state = states.get(userId);
      if (!state?.profile) return { presence: { userId, state: 'hidden' }, exists: false };
      const allowed =
        userId === viewerId ||
        (!blockedBetween(viewer, state.profile) &&
          (await mutuallyVisible(viewerSettings, state.profile, () => isContact(viewerId, userId))));
      return {
        presence: allowed ? presenceOf(state.profile, state.connections) : { userId, state: 'hidden' },
        exists: true,
      };
    }),
  );
}

/**
 * Last seen is two-way, as in WhatsApp: each side's setting must allow the other. "contacts" asks
 * whether the two share a conversation, and only when a setting needs the answer.
 */
async function mutuallyVisible(
  a: Settings,
  b: Settings,
  areContacts: () => Promise<boolean>,
): Promise<boolean> {
  const settings = [a.lastSeenVisibility, b.lastSeenVisibility];
  if (settings.includes('nobody')) return false;
  if (settings.includes('contacts')) return areContacts();
  return true;
}

/**
 * Contacts, as a WhatsApp user means it: two people who have both written in their conversation. A
 * message nobody answered (a stranger's, or a request ignored) makes no contact, and hiding the
 * conversation ends it until both write again.
 */
export function areContacts(head: ConversationHead | undefined): boolean {
  return head?.lo.sent === true && head.hi.sent;
}

/** Answers "are these two contacts?" once per pair within a request; `knownHeads` answer without a read. */
function contactLookup(
  deps: PresenceDeps,
  knownHeads: readonly ConversationHead[],
): (a: string, b: string) => Promise<boolean> {
  const cache = new Map<string, Promise<boolean>>(
    knownHeads.map((head) => [head.conversationId, Promise.resolve(areContacts(head))]),
  );
  return (a, b) => {
    const conversationId = conversationIdOf(a, b);
    let answer = cache.get(conversationId);
    if (answer === undefined) {
      answer = deps.conversations.get(conversationId).then(areContacts);
      cache.set(conversationId, answer);
    }
    return answer;
  };
}
