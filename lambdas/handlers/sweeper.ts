import { logger } from '../adapters/observability/telemetry';
import { sweepConnections } from '../core/connections';
import { connectionDepsFromEnv } from './wiring/environment';
import { invocation } from './wiring/invocation';

const deps = connectionDepsFromEnv();

/**
 * Runs on a schedule (SCHEDULES in contract/routes.ts): takes away connections whose heartbeats
 * lapsed without a `$disconnect`. The scheduled event carries nothing it needs.
 */
export const handler = invocation('sweeper', async () => {
  const result = await sweepConnections(deps);
  logger.info('swept', { ...result });
  return result;
});
