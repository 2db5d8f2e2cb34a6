import { logger } from '../adapters/observability/telemetry';
import { openConnection } from '../core/connections';
import { timingsFromEnv } from './wiring/config';
import { drainInvokerFromEnv, systemClock, userStoreFromEnv } from './wiring/environment';
import { parseWebSocketEvent } from './wiring/event';
import { invocation } from './wiring/invocation';

const deps = { users: userStoreFromEnv(), clock: systemClock, ...timingsFromEnv() };
const drain = drainInvokerFromEnv();

export const handler = invocation('$connect', async (event) => {
  const { caller, token } = parseWebSocketEvent(event);
  const opened = await openConnection(deps, caller, token);
  // A token that predates a sign-out everywhere is treated as expired.
  if (opened === 'signedOut') return { statusCode: 401 };
  if (opened === 'tooManyConnections') return { statusCode: 429 };
  const { cameOnline } = opened;
  // Nothing can be posted to this connection before $connect returns, and the handshake waits for
  // $connect: the sync and the presence announcement run on their own.
  await drain.invokeAsync({ ...caller, announceOnline: cameOnline });
  logger.info('connected', { cameOnline });
  return { statusCode: 200 };
});
