import { LIMITS } from '../../contract/limits';
import type { ServerEvent } from '../../contract/protocol/frames';
import type { Clock, Connection, ConnectionNotifier, UserStore } from './ports';

export interface DeliveryDeps {
  users: UserStore;
  notifier: ConnectionNotifier;
  clock: Clock;
}

/**
 * Posts one event to each connection. A connection that is gone (410) is removed, and never fails the
 * caller: whatever was stored stays stored for later delivery. Returns how many posts went through.
 *
 * A connection still inside $connect also answers 410, although it is about to open; removing its
 * record would hide it from every later send. So a young connection is kept: the sync that starts
 * once it is open delivers what this post could not, and a dead one expires with its heartbeat.
 */
export async function pushToConnections(
  deps: DeliveryDeps,
  connections: readonly Connection[],
  event: ServerEvent,
): Promise<number> {
  const results = await Promise.allSettled(
    connections.map(async (connection) => {
      const result = await deps.notifier.post(connection.connectionId, event);
      const young = deps.clock.now() - connection.connectedAt < LIMITS.integrationTimeoutMs;
      if (result === 'gone' && !young)
        await deps.users.removeConnection(connection.userId, connection.connectionId);
      return result;
    }),
  );
  let sent = 0;
  for (const result of results) {
    if (result.status === 'fulfilled' && result.value === 'sent') sent++;
    else if (result.status === 'rejected') console.error('post to connection failed', result.reason);
  }
  return sent;
}
