import { logger } from '../adapters/observability/telemetry';
import { closeConnection } from '../core/connections';
import { connectionDepsFromEnv } from './wiring/environment';
import { parseWebSocketEvent } from './wiring/event';
import { invocation } from './wiring/invocation';

const deps = connectionDepsFromEnv();

/** Best effort: API Gateway may never call it, so the sweeper covers connections whose heartbeats lapse. */
export const handler = invocation('$disconnect', async (event) => {
  const { caller } = parseWebSocketEvent(event);
  await closeConnection(deps, caller);
  logger.info('disconnected');
  return { statusCode: 200 };
});
