import { connectionDepsFromEnv, invokerFromEnv } from '../aws/environment';
import { parseWebSocketEvent } from '../aws/websocket';
import { openConnection } from '../core/connections';
import type { SyncTarget } from '../core/sync';

const deps = connectionDepsFromEnv();
const drain = invokerFromEnv('drain');

export async function handler(event: unknown) {
  const { caller } = parseWebSocketEvent(event);
  await openConnection(deps, caller);
  // Nothing can be posted to this connection before $connect returns, so the drain runs on its own.
  const target: SyncTarget = caller;
  await drain.invokeAsync(target);
  return { statusCode: 200 };
}
