import { sweepConnections } from '../core/connections';
import { connectionDepsFromEnv } from './wiring/environment';

const deps = connectionDepsFromEnv();

/**
 * Runs on a schedule (SCHEDULES in contract/routes.ts): takes away connections whose heartbeats
 * lapsed without a `$disconnect`. The scheduled event carries nothing it needs.
 */
export async function handler() {
  const result = await sweepConnections(deps);
  if (result.expired > 0) console.log(JSON.stringify({ sweep: result }));
  return result;
}
