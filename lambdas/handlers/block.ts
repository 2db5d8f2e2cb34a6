import { setBlocked } from '../core/blocking';
import { userStoreFromEnv } from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = { users: userStoreFromEnv() };

export const handler = actionHandler('block', (frame, caller) => setBlocked(deps, caller.userId, frame));
