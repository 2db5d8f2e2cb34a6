import { getMediaUrl } from '../core/media';
import { conversationStoreFromEnv, messageStoreFromEnv, systemClock } from './wiring/environment';
import { mediaObjectsFromEnv } from './wiring/media';
import { actionHandler } from './wiring/route';

const deps = {
  conversations: conversationStoreFromEnv(),
  messages: messageStoreFromEnv(),
  links: mediaObjectsFromEnv(),
  clock: systemClock,
};

export const handler = actionHandler('getMediaUrl', (frame, caller) =>
  getMediaUrl(deps, caller.userId, frame),
);
