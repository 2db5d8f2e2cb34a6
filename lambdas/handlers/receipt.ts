import {
  conversationStoreFromEnv,
  deviceStoreFromEnv,
  notifierFromEnv,
  systemClock,
  userStoreFromEnv,
} from '../aws/environment';
import { actionHandler } from '../aws/websocket';
import { applyReceipt } from '../core/receipts';

const deps = {
  users: userStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  devices: deviceStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('receipt', (frame, caller) => applyReceipt(deps, caller, frame));
