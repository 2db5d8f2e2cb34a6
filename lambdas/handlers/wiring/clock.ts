import type { Clock } from '../../core/ports';

/**
 * The one clock the handlers read, through `systemClock` (environment.ts). In Lambda nothing sets it
 * and it is Date.now(); the local runtime sets another when given one (RuntimeOptions.clock), so a
 * test moves time forward instead of waiting for it.
 */
let source: Clock = { now: () => Date.now() };

export const handlerClock: Clock = { now: () => source.now() };

export function setHandlerClock(clock: Clock): void {
  source = clock;
}
