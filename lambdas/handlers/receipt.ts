import { applyReceipt } from '../core/receipts';
import {
  conversationStoreFromEnv,
  deviceStoreFromEnv,
  notifierFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  devices: deviceStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler(
  'receipt',
  (frame, caller, _token, admit) => applyReceipt(deps, caller, frame, admit),
  'byHandler',
);
