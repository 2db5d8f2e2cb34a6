import type { FrameOf, ServerEvent } from '../../contract/protocol/frames';
import type { UserStore } from './ports';

export interface SettingsDeps {
  users: UserStore;
}

/** Changes the settings the frame names (none: just reads them) and replies with all of them. */
export async function updateSettings(
  deps: SettingsDeps,
  userId: string,
  frame: FrameOf<'updateSettings'>,
): Promise<ServerEvent> {
  const settings = await deps.users.updateSettings(userId, {
    ...(frame.readReceipts !== undefined && { readReceipts: frame.readReceipts }),
    ...(frame.lastSeenVisibility !== undefined && { lastSeenVisibility: frame.lastSeenVisibility }),
  });
  return {
    type: 'settings',
    ...(frame.requestId === undefined ? {} : { requestId: frame.requestId }),
    ...settings,
  };
}
