import type { core } from 'zod/mini';
import { LIMITS } from '../limits';
import { ChatError } from './errors';
import { type ClientFrame, clientFrame } from './frames';

/** Every action a client frame may name. */
export const KNOWN_ACTIONS: ReadonlySet<string> = new Set(
  clientFrame.def.options.flatMap((option) => option.def.shape.action.def.values),
);

/** The client's request id, echoed on errors even when the rest of the frame is invalid. */
export function requestIdOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('requestId' in value)) return undefined;
  const { requestId } = value;
  return typeof requestId === 'string' && requestId.length <= LIMITS.maxIdLength ? requestId : undefined;
}

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; error: ChatError; requestId: string | undefined };

function describe(issues: readonly core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'frame'}: ${issue.message}`)
    .join('; ');
}

/** Validates one client frame; every failure becomes a ChatError with a stable code. */
export function parseFrame(body: string | undefined): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    return {
      ok: false,
      error: new ChatError('BAD_JSON', 'The frame is not valid JSON'),
      requestId: undefined,
    };
  }
  const requestId = requestIdOf(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: new ChatError('INVALID_FRAME', 'The frame must be a JSON object'), requestId };
  }
  const action = 'action' in value ? value.action : undefined;
  if (typeof action !== 'string' || !KNOWN_ACTIONS.has(action)) {
    const error = new ChatError(
      'UNKNOWN_ACTION',
      `Unknown action ${JSON.stringify(action ?? null)}; expected one of ${[...KNOWN_ACTIONS].join(', ')}`,
    );
    return { ok: false, error, requestId };
  }
  const parsed = clientFrame.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const tooLong = parsed.error.issues.some((issue) => issue.code === 'too_big' && issue.path[0] === 'text');
  const error = tooLong
    ? new ChatError('TEXT_TOO_LONG', `text is longer than ${LIMITS.maxTextLength} UTF-16 code units`)
    : new ChatError('INVALID_FRAME', describe(parsed.error.issues));
  return { ok: false, error, requestId };
}
