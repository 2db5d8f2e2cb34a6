import { logger } from '../adapters/observability/telemetry';
import { closeConnection } from '../core/connections';
import { connectionDepsFromEnv } from './wiring/environment';
import { invocation } from './wiring/invocation';
import { parseWebSocketEvent } from './wiring/route';

const deps = connectionDepsFromEnv();

/** Best effort: API Gateway may never call it, so the sweeper covers connections whose heartbeats lapse. */
export const handler = invocation('$disconnect', async (event) => {
  const { caller } = parseWebSocketEvent(event);
  await closeConnection(deps, caller);
  logger.info('disconnected');
  return { statusCode: 200 };
});
