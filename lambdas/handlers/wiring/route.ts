import { LIMITS } from '../../../contract/limits';
import { ChatError } from '../../../contract/protocol/errors';
import type { ClientAction, FrameOf, ServerEvent } from '../../../contract/protocol/frames';
import { isLimitedAction } from '../../../contract/rate-limits';
import { countError, logger } from '../../adapters/observability/telemetry';
import type { Caller, ConnectionNotifier, TokenTimes } from '../../core/ports';
import { admitFrame, type RateLimitDeps } from '../../core/rate-limit';
import { notifierFromEnv, rateLimitDepsFromEnv, systemClock } from './environment';
import { errorEvent, frameRoute, type RouteResult } from './event';

let connections: ConnectionNotifier | undefined;
/** Built on first use: only the functions of limited actions count frames (and have the users table). */
let rateLimits: RateLimitDeps | undefined;

/**
 * A connection lives no longer than the token it was opened with: API Gateway checks the token only at
 * $connect, so every frame after `exp` is refused, and the connection is closed (the error is posted
 * first: a route response after the close would be lost). The client reconnects with a fresh token.
 */
async function closeExpired(caller: Caller, requestId: string | undefined): Promise<undefined> {
  connections ??= notifierFromEnv();
  const error = new ChatError('TOKEN_EXPIRED', 'Your token has expired; reconnect with a fresh one');
  countError(error.code);
  logger.info('frame refused', { code: error.code, reason: error.message });
  await connections.post(caller.connectionId, errorEvent(error, requestId), LIMITS.pushTimeoutMs);
  await connections.disconnect(caller.connectionId);
  return undefined;
}

/**
 * The route function of one action. A limited action's frame is counted against its rate limit first,
 * and `run` starts once it is admitted; with `readWhileAdmitting`, `run` starts at once with the
 * verdict to await before it writes anything, so that its first reads cost no round trip of their own.
 */
export function actionHandler<A extends ClientAction>(
  action: A,
  run: (
    frame: FrameOf<A>,
    caller: Caller,
    token: TokenTimes,
    admitted: Promise<void>,
  ) => Promise<ServerEvent | undefined>,
  options: { readWhileAdmitting?: boolean } = {},
): (event: unknown, context?: unknown) => Promise<RouteResult> {
  return frameRoute(action, async (frame, caller, token) => {
    if (frame.action !== action) throw new ChatError('UNKNOWN_ACTION', `This route serves ${action}`);
    if (systemClock.now() >= token.expiresAt) return closeExpired(caller, frame.requestId);
    // A refusal is RATE_LIMITED, counted and logged by code like every refusal.
    let admitted = Promise.resolve();
    if (isLimitedAction(action)) {
      rateLimits ??= rateLimitDepsFromEnv();
      admitted = admitFrame(rateLimits, caller, frame, systemClock.now());
    }
    if (!options.readWhileAdmitting) {
      await admitted;
      return run(frame as FrameOf<A>, caller, token, admitted);
    }
    const ran = run(frame as FrameOf<A>, caller, token, admitted);
    // A refusal is the answer even when the run failed on something else meanwhile.
    ran.catch(() => {});
    await admitted;
    return ran;
  });
}
