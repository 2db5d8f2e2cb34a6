import { LIMITS } from '../../contract/limits';
import type { ServerEvent } from '../../contract/protocol/frames';
import type { Caller, Clock, Connection, ConnectionNotifier, UserStore } from './ports';

export interface DeliveryDeps {
  users: UserStore;
  notifier: ConnectionNotifier;
  clock: Clock;
}

/**
 * Posts one event to each connection, each post bounded by LIMITS.pushTimeoutMs, and never fails the
 * caller: whatever was stored stays stored for later delivery. Returns how many posts went through.
 *
 * A connection that is gone (410) is removed. One that cannot take the post in time (its reader
 * stopped reading, so API Gateway's buffer for it is full) is treated as gone too: its record is
 * removed, so later sends skip it, and it is closed, so its client reconnects and catches up by sync.
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
      const result = await deps.notifier.post(connection.connectionId, event, LIMITS.pushTimeoutMs);
      const young = deps.clock.now() - connection.connectedAt < LIMITS.integrationTimeoutMs;
      if (result === 'stalled') {
        console.warn('push stalled; closing the connection', connection.connectionId);
        await Promise.all([
          deps.users.removeConnection(connection.userId, connection.connectionId),
          deps.notifier.disconnect(connection.connectionId),
        ]);
      } else if (result === 'gone' && !young) {
        await deps.users.removeConnection(connection.userId, connection.connectionId);
      }
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

/**
 * Answers the caller through @connections at once, while `pushes` (to other people's connections) go
 * on: the caller's acknowledgement never waits for, nor fails with, another reader. Resolves with
 * undefined when the answer went out, else with the answer itself, for the route response to carry.
 */
export async function replyBeforePushes(
  deps: Pick<DeliveryDeps, 'notifier'>,
  caller: Caller,
  answer: ServerEvent,
  pushes: Promise<unknown>,
): Promise<ServerEvent | undefined> {
  const posted = await deps.notifier
    .post(caller.connectionId, answer, LIMITS.pushTimeoutMs)
    .catch((error: unknown) => {
      console.error('reply post failed; answering with the route response', error);
      return 'failed' as const;
    });
  await pushes;
  return posted === 'sent' ? undefined : answer;
}
