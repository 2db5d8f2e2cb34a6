import { connectionDepsFromEnv } from '../aws/environment';
import { sweepConnections } from '../core/connections';

const deps = connectionDepsFromEnv();

/**
 * Runs on a schedule (SCHEDULES in lambdas/contract/routes.ts): takes away connections whose heartbeats
 * lapsed without a `$disconnect`. The scheduled event carries nothing it needs.
 */
export async function handler() {
  const result = await sweepConnections(deps);
  if (result.expired > 0) console.log(JSON.stringify({ sweep: result }));
  return result;
}
