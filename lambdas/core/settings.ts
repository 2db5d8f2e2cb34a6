import type { FrameOf, ServerEvent } from '../../contract/protocol/frames';
import { type DeliveryDeps, pushToConnections } from './delivery';
import type { Caller } from './ports';

export type SettingsDeps = DeliveryDeps;

/**
 * Changes the settings the frame names (none: just reads them) and replies with all of them. A change
 * also goes to the user's other connections as a `settings` event, so that their other devices show
 * the same switches.
 */
export async function updateSettings(
  deps: SettingsDeps,
  caller: Caller,
  frame: FrameOf<'updateSettings'>,
): Promise<ServerEvent> {
  const changes = {
    ...(frame.readReceipts !== undefined && { readReceipts: frame.readReceipts }),
    ...(frame.lastSeenVisibility !== undefined && { lastSeenVisibility: frame.lastSeenVisibility }),
    ...(frame.pushPreviews !== undefined && { pushPreviews: frame.pushPreviews }),
  };
  const settings = await deps.users.updateSettings(caller.userId, changes);
  if (Object.keys(changes).length > 0) {
    const { connections } = await deps.users.getUser(caller.userId, deps.clock.now());
    const others = connections.filter((connection) => connection.connectionId !== caller.connectionId);
    await pushToConnections(deps, others, { type: 'settings', ...settings });
  }
  return {
    type: 'settings',
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    ...settings,
  };
}
