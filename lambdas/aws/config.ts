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

/** Timings that tests shorten; production uses API Gateway-friendly defaults from LIMITS. */
export interface Timings {
  heartbeatIntervalMs: number;
  connectionTtlMs: number;
}

export function timingsFromEnv(): Timings {
  return {
    heartbeatIntervalMs: numberFromEnv('CHAT_HEARTBEAT_INTERVAL_MS', LIMITS.heartbeatIntervalMs),
    connectionTtlMs: numberFromEnv('CHAT_CONNECTION_TTL_MS', LIMITS.connectionTtlMs),
  };
}
