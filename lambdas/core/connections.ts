import type { DrainRequest } from '../../contract/invocations';
import { LIMITS } from '../../contract/limits';
import { ChatError } from '../../contract/protocol/errors';
import type { ServerEvent } from '../../contract/protocol/frames';
import type {
  Caller,
  Clock,
  Connection,
  ConnectionNotifier,
  IdentityProvider,
  Invoker,
  PushStore,
  TokenTimes,
  UserState,
  UserStore,
} from './ports';
import { announcePresence, type PresenceChangeDeps } from './presence';

export interface ConnectionDeps extends PresenceChangeDeps {
  connectionTtlMs: number;
  heartbeatIntervalMs: number;
}

/**
 * Stores the connection; the result says whether the user just came online. Telling their contacts
 * is left to `announceOnline`, run after $connect returns: it may take many reads, and the WebSocket
 * handshake waits for $connect.
 */
export async function openConnection(
  deps: RegisterDeps,
  identity: Caller,
  token: TokenTimes,
): Promise<{ cameOnline: boolean } | OpenRefusal> {
  const now = deps.clock.now();
  const connection = {
    ...identity,
    connectedAt: now,
    freshUntil: freshUntil(deps, now, token),
    tokenExpiresAt: token.expiresAt,
  };
  return register(deps, connection, now, (before) => {
    const refusal = signedOut(before, token);
    if (refusal) return refusal;
    const devices = new Set(before.connections.map((c) => c.deviceId));
    const newDevice = !devices.has(identity.deviceId);
    // Counted on the read that register makes anyway; devices connecting at the same instant may pass together.
    if (
      before.connections.length >= LIMITS.maxConnectionsPerUser ||
      (newDevice && devices.size >= LIMITS.maxDevicesPerUser)
    )
      return 'tooManyConnections';
    return undefined;
  });
}

/** Why $connect refuses a connection after its token was verified. */
export type OpenRefusal = 'signedOut' | 'tooManyConnections';

/** `iat` has whole seconds: a token of the sign-out's own second is refused too. */
function signedOut(before: UserState, token: Pick<TokenTimes, 'issuedAt'>): 'signedOut' | undefined {
  return before.profile && token.issuedAt <= before.profile.signedOutAt ? 'signedOut' : undefined;
}

/**
 * A connection counts as live until its next heartbeat is due, and never past its token's expiry:
 * then sends skip it, and the sweeper removes and closes it even if the client only listens.
 */
function freshUntil(
  deps: Pick<ConnectionDeps, 'connectionTtlMs'>,
  now: number,
  token: Pick<TokenTimes, 'expiresAt'>,
) {
  return Math.min(now + deps.connectionTtlMs, token.expiresAt);
}

export interface SignOutDeps {
  users: UserStore;
  notifier: ConnectionNotifier;
  clock: Clock;
  /** Cognito when deployed. The local issuer hands out no refresh tokens, so it has nothing to revoke. */
  identity: IdentityProvider | undefined;
  /** A signed-out device must not keep receiving notifications (with previews): its subscription goes. */
  push: Pick<PushStore, 'remove'>;
}

/**
 * Signs a user out everywhere: tokens issued until now open no connection any more (the profile's
 * signedOutAt, checked at $connect), the identity provider revokes every refresh token, and every live
 * connection is closed. `answer` goes to the asking connection before it is closed with the others.
 * Returns how many connections were closed.
 */
export async function signOutEverywhere(
  deps: SignOutDeps,
  userId: string,
  answer?: { connectionId: string; event: ServerEvent },
): Promise<number> {
  const now = deps.clock.now();
  await Promise.all([deps.users.recordSignOut(userId, now), deps.identity?.signOutEverywhere(userId)]);
  const { profile, connections } = await deps.users.getUser(userId, now);
  await deps.push.remove(userId, profile?.pushDevices ?? []);
  if (answer) await deps.notifier.post(answer.connectionId, answer.event, LIMITS.pushTimeoutMs);
  const ids = new Set([...connections.map((c) => c.connectionId), ...(answer ? [answer.connectionId] : [])]);
  // Each $disconnect follows and announces the user offline; the records go now, as $disconnect may not come.
  await Promise.all(
    [...ids].map((connectionId) =>
      Promise.all([
        deps.users.removeConnection(userId, connectionId),
        deps.notifier.disconnect(connectionId),
      ]),
    ),
  );
  return ids.size;
}

/** Tells the user's contacts and watchers that the user is online, if still so. */
export async function announceOnline(deps: ConnectionDeps, userId: string): Promise<void> {
  const now = deps.clock.now();
  const user = await deps.users.getUser(userId, now);
  if (user.profile && user.connections.length > 0) {
    await announcePresence(deps, user.profile, { userId, state: 'online' }, now);
  }
}

/**
 * A clean disconnect of a fresh connection counts as activity, recorded by the same write that removes
 * it. Whether or not a record was left to remove (the sweeper or a failed post may have taken it), the
 * user is announced offline once no fresh connection is left: a repeated "offline" costs less than a
 * missed one.
 */
export async function closeConnection(
  deps: ConnectionDeps,
  identity: Pick<Caller, 'userId' | 'connectionId'>,
): Promise<void> {
  const now = deps.clock.now();
  await deps.users.removeConnection(identity.userId, identity.connectionId, { activeAt: now });
  await announceIfOffline(deps, identity.userId, now);
}

/**
 * Keeps a connection live. A record that already expired (the heartbeat came too late, or the sweeper
 * removed it) is written again: the socket is evidently still open, and the user may be back online.
 * Sends skipped it while it had no record, so `resync` starts a sync of the device.
 */
export async function heartbeat(
  deps: ConnectionDeps,
  identity: Caller,
  token: TokenTimes,
  requestId: string | undefined,
  resync: Invoker<DrainRequest>,
): Promise<ServerEvent> {
  const now = deps.clock.now();
  const until = freshUntil(deps, now, token);
  const refreshed = await deps.users.refreshConnection(identity.userId, identity.connectionId, until, now);
  if (!refreshed) {
    const registered = await register(
      deps,
      { ...identity, connectedAt: now, freshUntil: until, tokenExpiresAt: token.expiresAt },
      now,
      (before) => signedOut(before, token),
    );
    if (typeof registered === 'string') throw new ChatError('TOKEN_EXPIRED', 'You signed out; sign in again');
    const request: DrainRequest = { ...identity, announceOnline: registered.cameOnline };
    await resync.invokeAsync(request);
  }
  return {
    type: 'heartbeat',
    ...(requestId === undefined ? {} : { requestId }),
    expiresAt: until,
    intervalMs: deps.heartbeatIntervalMs,
  };
}

export interface SweepResult {
  /** Connections stored with a freshness that lapsed; most were kept fresh by their heartbeats since. */
  checked: number;
  /** Of those, the ones whose heartbeats lapsed too. */
  expired: number;
  /** Connections removed; the others were refreshed by a heartbeat (or removed) in the meantime. */
  removed: number;
  /** Users announced offline. */
  offline: number;
}

/**
 * Removes connections whose heartbeats lapsed, for when `$disconnect` never came, and announces their
 * users offline when no fresh connection is left. Their last seen stays the last heartbeat.
 * Heartbeats move only a connection's freshness on its user's profile, never its entry in the
 * sweeper's index: each sweep reads the profile of every connection older than its first freshness
 * (a read unit costs a fifteenth of the three write units a heartbeat made). A connection is removed
 * only if it is still not fresh, so a heartbeat racing the sweep wins.
 */
export async function sweepConnections(deps: ConnectionDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const candidates = await deps.users.expiredConnections(now);
  const users = await deps.users.getUsers([...new Set(candidates.map((c) => c.userId))], now);
  const expired = candidates.filter(
    (c) => !users.get(c.userId)?.connections.some((live) => live.connectionId === c.connectionId),
  );
  // A connection of a user without a profile is left over from a connect whose profile write failed.
  const removed = await Promise.all(
    expired.map((c) =>
      deps.users.removeConnection(
        c.userId,
        c.connectionId,
        users.get(c.userId)?.profile ? { ifLapsedAt: now } : undefined,
      ),
    ),
  );
  // A socket whose token ran out may still be open and listening: it is closed (a gone one costs a 410).
  // One that only missed heartbeats stays open: its next heartbeat brings it back.
  const tokenEnded = removed.filter((c) => c?.tokenExpiresAt !== undefined && c.tokenExpiresAt <= now);
  await Promise.all(tokenEnded.map((c) => c && deps.notifier.disconnect(c.connectionId)));
  const left = new Set(removed.flatMap((connection) => connection?.userId ?? []));
  const offline = await Promise.all([...left].map((userId) => announceIfOffline(deps, userId, now)));
  return {
    checked: candidates.length,
    expired: expired.length,
    removed: removed.filter((connection) => connection !== undefined).length,
    offline: offline.filter(Boolean).length,
  };
}

/**
 * Stores a connection and says whether the user had no fresh connection before. Reading before
 * writing means two devices connecting at once may both announce, but never neither.
 */
type RegisterDeps = Pick<ConnectionDeps, 'users' | 'clock' | 'connectionTtlMs'>;

async function register(
  deps: RegisterDeps,
  connection: Connection,
  now: number,
  refuse: (before: UserState) => OpenRefusal | undefined,
): Promise<{ cameOnline: boolean } | OpenRefusal> {
  const before = await deps.users.getUser(connection.userId, now);
  const refusal = refuse(before);
  if (refusal) return refusal;
  await deps.users.addConnection(connection);
  // A user who never signed in has no conversations and no watchers: there is nobody to tell.
  return { cameOnline: before.profile !== undefined && before.connections.length === 0 };
}

/**
 * Announces the user offline unless a fresh connection is left. Reading after the removal means two
 * devices leaving at once may both announce, but never neither.
 */
async function announceIfOffline(deps: ConnectionDeps, userId: string, now: number): Promise<boolean> {
  const after = await deps.users.getUser(userId, now);
  if (!after.profile || after.connections.length > 0) return false;
  const lastSeen = after.profile.lastActiveAt;
  await announcePresence(deps, after.profile, { userId, state: 'offline', lastSeen }, now);
  return true;
}
