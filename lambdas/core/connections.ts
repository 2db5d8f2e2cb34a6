import type { DrainRequest } from '../../contract/invocations';
import type { ServerEvent } from '../../contract/protocol/frames';
import type { Caller, Connection, Invoker } from './ports';
import { announcePresence, type PresenceChangeDeps } from './presence';

export interface ConnectionDeps extends PresenceChangeDeps {
  connectionTtlMs: number;
  heartbeatIntervalMs: number;
}

/** Expired connections one sweep handles at most; the next sweep takes the rest. */
const SWEEP_BATCH = 1000;

/**
 * Stores the connection; the result says whether the user just came online. Telling their contacts
 * is left to `announceOnline`, run after $connect returns: it may take many reads, and the WebSocket
 * handshake waits for $connect.
 */
export async function openConnection(deps: RegisterDeps, identity: Caller): Promise<{ cameOnline: boolean }> {
  const now = deps.clock.now();
  return register(deps, { ...identity, connectedAt: now, freshUntil: now + deps.connectionTtlMs }, now);
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
 * A clean disconnect counts as activity. Whether or not a record was left to remove (the sweeper or a
 * failed post may have taken it), the user is announced offline once no fresh connection is left:
 * a repeated "offline" costs less than a missed one.
 */
export async function closeConnection(
  deps: ConnectionDeps,
  identity: Pick<Caller, 'userId' | 'connectionId'>,
): Promise<void> {
  const now = deps.clock.now();
  const removed = await deps.users.removeConnection(identity.userId, identity.connectionId);
  if (removed !== undefined && removed.freshUntil > now) {
    await Promise.all([
      deps.users.recordActivity(identity.userId, now),
      announceIfOffline(deps, identity.userId, now, now),
    ]);
  } else {
    await announceIfOffline(deps, identity.userId, now);
  }
}

/**
 * Keeps a connection live. A record that already expired (the heartbeat came too late, or the sweeper
 * removed it) is written again: the socket is evidently still open, and the user may be back online.
 * Sends skipped it while it had no record, so `resync` starts a sync of the device.
 */
export async function heartbeat(
  deps: ConnectionDeps,
  identity: Caller,
  requestId: string | undefined,
  resync: Invoker<DrainRequest>,
): Promise<ServerEvent> {
  const now = deps.clock.now();
  const freshUntil = now + deps.connectionTtlMs;
  const refreshed = await deps.users.refreshConnection(
    identity.userId,
    identity.connectionId,
    freshUntil,
    now,
  );
  if (!refreshed) {
    const { cameOnline } = await register(deps, { ...identity, connectedAt: now, freshUntil }, now);
    const request: DrainRequest = { ...identity, announceOnline: cameOnline };
    await resync.invokeAsync(request);
  }
  return {
    type: 'heartbeat',
    ...(requestId === undefined ? {} : { requestId }),
    expiresAt: freshUntil,
    intervalMs: deps.heartbeatIntervalMs,
  };
}

export interface SweepResult {
  /** Expired records found. */
  expired: number;
  /** Records removed; the others were refreshed by a heartbeat (or removed) in the meantime. */
  removed: number;
  /** Users announced offline. */
  offline: number;
}

/**
 * Removes connection records whose heartbeats lapsed, for when `$disconnect` never came, and announces
 * their users offline when no fresh connection is left. Their last seen stays the last heartbeat.
 * A record is removed only if its freshUntil is unchanged, so a heartbeat racing the sweep wins.
 */
export async function sweepConnections(deps: ConnectionDeps): Promise<SweepResult> {
  const now = deps.clock.now();
  const expired = await deps.users.expiredConnections(now, SWEEP_BATCH);
  const removed = await Promise.all(
    expired.map((c) => deps.users.removeConnection(c.userId, c.connectionId, c.freshUntil)),
  );
  const users = new Set(removed.flatMap((connection) => connection?.userId ?? []));
  const offline = await Promise.all([...users].map((userId) => announceIfOffline(deps, userId, now)));
  return {
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
): Promise<{ cameOnline: boolean }> {
  const before = await deps.users.getUser(connection.userId, now);
  await deps.users.addConnection(connection);
  // A user who never signed in has no conversations and no watchers: there is nobody to tell.
  return { cameOnline: before.profile !== undefined && before.connections.length === 0 };
}

/**
 * Announces the user offline unless a fresh connection is left. Reading after the removal means two
 * devices leaving at once may both announce, but never neither. `activeAt` is a last activity that
 * the profile read may not show yet.
 */
async function announceIfOffline(
  deps: ConnectionDeps,
  userId: string,
  now: number,
  activeAt = 0,
): Promise<boolean> {
  const after = await deps.users.getUser(userId, now);
  if (!after.profile || after.connections.length > 0) return false;
  const lastSeen = Math.max(after.profile.lastActiveAt, activeAt);
  await announcePresence(deps, after.profile, { userId, state: 'offline', lastSeen }, now);
  return true;
}
