import { ENV, LOCAL_ENV } from '../../contract/environment';
import { pushRequest } from '../../contract/invocations';
import { PUSH } from '../../contract/push';
import { count, logger } from '../adapters/observability/telemetry';
import { readVapidSecret } from '../adapters/push/vapid-secret';
import { WebPushSender } from '../adapters/push/web-push-sender';
import { deliverPush } from '../core/push';
import { awsConfigFromEnv, requireEnv } from './wiring/config';
import {
  conversationStoreFromEnv,
  messageStoreFromEnv,
  pushConfigFromEnv,
  pushStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from './wiring/environment';
import { correlate, invocation } from './wiring/invocation';

const config = pushConfigFromEnv();
const subject = requireEnv(ENV.vapidSubject);
const localPrivateKey = process.env[LOCAL_ENV.vapidPrivateKey];

/**
 * The private key is read once per instance, on its first push: from Secrets Manager when deployed,
 * from the local runtime's variable locally. A failed read (or a malformed key) is not cached, so the
 * retry reads again.
 */
let pushSender: Promise<WebPushSender> | undefined;
function sender(): Promise<WebPushSender> {
  pushSender ??= (
    localPrivateKey
      ? Promise.resolve({ publicKey: config.vapidPublicKey, privateKey: localPrivateKey })
      : readVapidSecret(requireEnv(ENV.vapidSecretArn), awsConfigFromEnv())
  )
    .then((keys) => new WebPushSender({ ...keys, subject }, PUSH.requestTimeoutMs, systemClock))
    .catch((error: unknown) => {
      pushSender = undefined;
      throw error;
    });
  return pushSender;
}

const deps = {
  users: userStoreFromEnv(),
  push: pushStoreFromEnv(),
  messages: messageStoreFromEnv(),
  conversations: conversationStoreFromEnv(),
  clock: systemClock,
  config,
};

/**
 * Started asynchronously by sendMessage after the ack went out. A thrown error makes Lambda retry the
 * event (ASYNC_INVOCATIONS.push) and then put it in the push failure queue.
 */
export const handler = invocation('push', async (event) => {
  const request = pushRequest.parse(event);
  correlate({ userId: request.to, conversationId: request.conversationId, route: 'push' });
  const result = await deliverPush({ ...deps, sender: await sender() }, request);
  if (result.kind === 'pushed') {
    count('PushesSent', result.sent);
    if (result.removed > 0) count('PushSubscriptionsRemoved', result.removed);
    if (result.rejected > 0) count('PushesRejected', result.rejected);
  } else count('PushesSkipped');
  logger.info('push handled', { ...result, seq: request.seq });
  return result;
});
