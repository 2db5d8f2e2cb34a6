import type { ServerEvent } from '../protocol/frames';
import type { Connection, ConnectionNotifier, UserStore } from './ports';

export interface DeliveryDeps {
  users: UserStore;
  notifier: ConnectionNotifier;
}

/**
 * Posts one event to each connection. A connection that is gone (410) is removed, and never fails the
 * caller: whatever was stored stays stored for later delivery. Returns how many posts went through.
 */
export async function pushToConnections(
  deps: DeliveryDeps,
  connections: readonly Connection[],
  event: ServerEvent,
): Promise<number> {
  const results = await Promise.allSettled(
    connections.map(async (connection) => {
      const result = await deps.notifier.post(connection.connectionId, event);
      if (result === 'gone') await deps.users.removeConnection(connection.userId, connection.connectionId);
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
