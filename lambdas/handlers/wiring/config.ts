import { TIMING_ENV, type Timings } from '../../../contract/environment';
import { LIMITS } from '../../../contract/limits';
import { RATE_LIMIT_FACTOR_ENV } from '../../../contract/rate-limits';
import type { AwsClientConfig } from '../../adapters/aws-config';

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

export function timingsFromEnv(): Timings {
  const entries = Object.entries(TIMING_ENV) as [keyof Timings, string][];
  return Object.fromEntries(
    entries.map(([name, envVar]) => [name, numberFromEnv(envVar, LIMITS[name])]),
  ) as Timings;
}

export function rateLimitFactorFromEnv(): number {
  return numberFromEnv(RATE_LIMIT_FACTOR_ENV, 1);
}

/** The region and role credentials Lambda sets in every function's environment. */
export function awsConfigFromEnv(): AwsClientConfig {
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return {
    region: requireEnv('AWS_REGION'),
    credentials: {
      accessKeyId: requireEnv('AWS_ACCESS_KEY_ID'),
      secretAccessKey: requireEnv('AWS_SECRET_ACCESS_KEY'),
      ...(sessionToken ? { sessionToken } : {}),
    },
  };
}
