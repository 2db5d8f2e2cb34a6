import { count } from '../adapters/observability/telemetry';
import { sniffType } from '../adapters/s3/sniff';
import { InstanceCache } from '../core/instance-cache';
import { KeyedQueue } from '../core/keyed-queue';
import { sendMessage } from '../core/messaging';
import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  notifierFromEnv,
  pushInvokerFromEnv,
  systemClock,
  uploadSlotStoreFromEnv,
  userStoreFromEnv,
} from './wiring/environment';
import { mediaObjectsFromEnv } from './wiring/media';
import { actionHandler } from './wiring/route';

const media = mediaObjectsFromEnv();
const deps = {
  users: userStoreFromEnv(),
  slots: uploadSlotStoreFromEnv(),
  objects: media,
  links: media,
  sniff: sniffType,
  messages: messageStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  notifier: notifierFromEnv(),
  clock: systemClock,
  lastStored: new InstanceCache<number>(10_000),
  conversationQueue: new KeyedQueue(),
  pushInvoker: pushInvokerFromEnv(),
};

export const handler = actionHandler(
  'sendMessage',
  async (frame, caller, _token, admit) => {
    const { ack, answered } = await sendMessage(deps, caller, frame, admit());
    count(ack.duplicate ? 'DuplicatesAnswered' : 'MessagesStored');
    return answered ? undefined : ack;
  },
  'whileReading',
);
