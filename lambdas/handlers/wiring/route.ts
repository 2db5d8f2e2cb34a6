import { LIMITS } from '../../../contract/limits';
import { ChatError } from '../../../contract/protocol/errors';
import type { ClientAction, FrameOf, ServerEvent } from '../../../contract/protocol/frames';
import { isLimitedAction } from '../../../contract/rate-limits';
import { countError, logger } from '../../adapters/observability/telemetry';
import type { Caller, ConnectionNotifier, TokenTimes } from '../../core/ports';
import { admitFrame, type RateLimitDeps, refuseFromMemory } from '../../core/rate-limit';
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
 * When a limited action's frame is counted against its rate limit:
 * - `first`: before `run` starts;
 * - `whileReading`: at the same time as `run`, which awaits `admit()` before it writes anything, so
 *   that its first reads cost no round trip of their own;
 * - `byHandler`: only when `run` calls `admit()` (a receipt that moved a watermark is bounded by the
 *   messages it covers, and is not counted). A connection this instance refused is refused before.
 * A refusal is the answer even when the run failed on something else meanwhile.
 */
export type Admission = 'first' | 'whileReading' | 'byHandler';

/** The route function of one action. */
export function actionHandler<A extends ClientAction>(
  action: A,
  run: (
    frame: FrameOf<A>,
    caller: Caller,
    token: TokenTimes,
    admit: () => Promise<void>,
  ) => Promise<ServerEvent | undefined>,
  admission: Admission = 'first',
): (event: unknown, context?: unknown) => Promise<RouteResult> {
  return frameRoute(action, async (frame, caller, token) => {
    if (frame.action !== action) throw new ChatError('UNKNOWN_ACTION', `This route serves ${action}`);
    if (systemClock.now() >= token.expiresAt) return closeExpired(caller, frame.requestId);
    // A refusal is RATE_LIMITED, counted and logged by code like every refusal.
    let admitted: Promise<void> | undefined;
    const admit = () => {
      if (!isLimitedAction(action)) return Promise.resolve();
      rateLimits ??= rateLimitDepsFromEnv();
      admitted ??= admitFrame(rateLimits, caller, frame, systemClock.now());
      return admitted;
    };
    if (admission === 'byHandler' && isLimitedAction(action)) {
      rateLimits ??= rateLimitDepsFromEnv();
      refuseFromMemory(rateLimits, caller, frame, systemClock.now());
    }
    if (admission === 'first') await admit();
    const verdict = admission === 'whileReading' ? admit() : undefined;
    const ran = run(frame as FrameOf<A>, caller, token, admit);
    if (verdict === undefined) return ran;
    ran.catch(() => {});
    await verdict;
    return ran;
  });
}
