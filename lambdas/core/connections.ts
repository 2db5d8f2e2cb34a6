import type { ServerEvent } from '../protocol/frames';
import type { Clock, UserStore } from './ports';

export interface ConnectionDeps {
  users: UserStore;
  clock: Clock;
  connectionTtlMs: number;
  heartbeatIntervalMs: number;
}

export interface ConnectionIdentity {
  userId: string;
  connectionId: string;
}

export async function openConnection(
  deps: ConnectionDeps,
  identity: ConnectionIdentity & { deviceId: string },
): Promise<void> {
  const now = deps.clock.now();
  await deps.users.addConnection({ ...identity, connectedAt: now, freshUntil: now + deps.connectionTtlMs });
}

export async function closeConnection(deps: ConnectionDeps, identity: ConnectionIdentity): Promise<void> {
  await deps.users.removeConnection(identity.userId, identity.connectionId);
}

/**
 * Keeps a connection live. A record that already expired (the heartbeat came too late, or a cleanup
 * removed it) is written again: the socket is evidently still open.
 */
export async function heartbeat(
  deps: ConnectionDeps,
  identity: ConnectionIdentity & { deviceId: string },
  requestId: string | undefined,
): Promise<ServerEvent> {
  const now = deps.clock.now();
  const freshUntil = now + deps.connectionTtlMs;
  const refreshed = await deps.users.refreshConnection(
    identity.userId,
    identity.connectionId,
    freshUntil,
    now,
  );
  if (!refreshed) await deps.users.addConnection({ ...identity, connectedAt: now, freshUntil });
  return {
    type: 'heartbeat',
    ...(requestId === undefined ? {} : { requestId }),
    expiresAt: freshUntil,
    intervalMs: deps.heartbeatIntervalMs,
  };
}
