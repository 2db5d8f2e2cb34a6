import { LIMITS } from '../contract/limits';

/** Reads a required environment variable, failing at cold start rather than on the first request. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`Missing required environment variable ${name}`);
  }
  return value;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${raw}`);
  return value;
}

/**
 * Timings that tests shorten, each with the environment variable that overrides it; production uses
 * the defaults from LIMITS. The local runtime sets the same variables from its options.
 */
export const TIMING_ENV = {
  heartbeatIntervalMs: 'CHAT_HEARTBEAT_INTERVAL_MS',
  connectionTtlMs: 'CHAT_CONNECTION_TTL_MS',
  presenceWatchMs: 'CHAT_PRESENCE_WATCH_MS',
  typingTtlMs: 'CHAT_TYPING_TTL_MS',
  typingMinIntervalMs: 'CHAT_TYPING_MIN_INTERVAL_MS',
} as const satisfies Partial<Record<keyof typeof LIMITS, string>>;

export type Timings = { [K in keyof typeof TIMING_ENV]: number };

export function timingsFromEnv(): Timings {
  const entries = Object.entries(TIMING_ENV) as [keyof Timings, string][];
  return Object.fromEntries(
    entries.map(([name, envVar]) => [name, numberFromEnv(envVar, LIMITS[name])]),
  ) as Timings;
}
