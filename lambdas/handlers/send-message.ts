import { InstanceCache } from '../core/instance-cache';
import { KeyedQueue } from '../core/keyed-queue';
import { sendMessage } from '../core/messaging';
import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  notifierFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { actionHandler } from './wiring/route';

const deps = {
  users: userStoreFromEnv(),
  messages: messageStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  knownUsers: new InstanceCache<true>(10_000),
  lastStored: new InstanceCache<number>(10_000),
  conversationQueue: new KeyedQueue(),
};

export const handler = actionHandler('sendMessage', (frame, caller) => sendMessage(deps, caller, frame));
