import { randomId } from '../client/ids';
import {
  CognitoError,
  type CognitoPool,
  type CognitoTokens,
  refresh,
  revokeToken,
  signIn,
  usernameOf,
} from './cognito';
import type { WebConfig } from './config';

/** A signed-in user: who, and where fresh tokens come from. */
export interface Session {
  readonly userId: string;
  /** Called before every connection attempt. Rejects with SignInRequired when only signing in again helps. */
  getToken(): Promise<string>;
}

export class SignInRequired extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignInRequired';
  }
}

/** A local issuer's refusal, e.g. INVALID_USERNAME, with its message for people. */
export class LocalIssuerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LocalIssuerError';
  }
}

const SESSION_KEY = 'chat.session';
const DEVICE_KEY = 'chat.deviceId';
/** A token this close to expiry is replaced before connecting with it. */
const EXPIRY_MARGIN_MS = 60_000;

type Stored = { mode: 'local'; userId: string } | { mode: 'cognito'; userId: string; refreshToken: string };

/** This browser's device id: kept, so the server's delivery cursor for it survives reloads. */
export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${randomId()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/**
 * Signs this browser out: its refresh token is revoked at Cognito (best effort: a token that no longer
 * works needs no revoking) and forgotten.
 */
export function forgetSession(config: WebConfig): void {
  const stored = storedSession();
  if (config.mode === 'cognito' && stored?.mode === 'cognito') {
    revokeToken(config, stored.refreshToken).catch(() => {});
  }
  localStorage.removeItem(SESSION_KEY);
}

/** A token provider that fetches a new token only when the current one is about to expire. */
function cachedTokens(
  fetchToken: () => Promise<{ token: string; expiresAt: number }>,
): () => Promise<string> {
  let current: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (!current || current.expiresAt - EXPIRY_MARGIN_MS < Date.now()) current = await fetchToken();
    return current.token;
  };
}

async function issueLocalToken(
  tokenUrl: string,
  username: string,
): Promise<{ token: string; expiresAt: number; userId: string }> {
  const url = new URL(tokenUrl, location.href);
  url.searchParams.set('username', username);
  const response = await fetch(url);
  const body: unknown = await response.json().catch(() => ({}));
  const field = (name: string): unknown =>
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  const token = field('token');
  const userId = field('userId');
  const expiresAt = field('expiresAt');
  if (
    !response.ok ||
    typeof token !== 'string' ||
    typeof userId !== 'string' ||
    typeof expiresAt !== 'number'
  ) {
    const message = field('message');
    throw new LocalIssuerError(
      String(field('error') ?? `HTTP_${response.status}`),
      typeof message === 'string' ? message : `The local issuer answered HTTP ${response.status}`,
    );
  }
  return { token, expiresAt, userId };
}

/**
 * A fresh token for every connection attempt: the local issuer is on the same server, and a runtime
 * restarted in memory signs with a new key, which would refuse a kept token until it expired.
 */
function localSession(config: Extract<WebConfig, { mode: 'local' }>, userId: string): Session {
  return { userId, getToken: async () => (await issueLocalToken(config.tokenUrl, userId)).token };
}

function cognitoSession(
  pool: CognitoPool,
  userId: string,
  refreshToken: string,
  first?: CognitoTokens,
): Session {
  let initial = first;
  return {
    userId,
    getToken: cachedTokens(async () => {
      const tokens = initial ?? (await refreshOrSignInAgain(pool, refreshToken));
      initial = undefined;
      return { token: tokens.idToken, expiresAt: tokens.expiresAt };
    }),
  };
}

async function refreshOrSignInAgain(pool: CognitoPool, refreshToken: string): Promise<CognitoTokens> {
  try {
    return await refresh(pool, refreshToken);
  } catch (error) {
    if (error instanceof CognitoError && error.type === 'NotAuthorizedException') {
      throw new SignInRequired('Your session has expired. Please sign in again.');
    }
    throw error;
  }
}

/** Local mode: asks the local issuer for a first token, which also checks the username. */
export async function signInLocally(
  config: Extract<WebConfig, { mode: 'local' }>,
  username: string,
): Promise<Session> {
  const { userId } = await issueLocalToken(config.tokenUrl, username);
  localStorage.setItem(SESSION_KEY, JSON.stringify({ mode: 'local', userId } satisfies Stored));
  return localSession(config, userId);
}

export async function signInWithCognito(
  config: Extract<WebConfig, { mode: 'cognito' }>,
  username: string,
  password: string,
): Promise<Session> {
  const tokens = await signIn(config, username, password);
  const userId = usernameOf(tokens.idToken) ?? username.toLowerCase();
  if (!tokens.refreshToken) throw new CognitoError('InvalidResponse', 'Cognito returned no refresh token');
  const stored: Stored = { mode: 'cognito', userId, refreshToken: tokens.refreshToken };
  localStorage.setItem(SESSION_KEY, JSON.stringify(stored));
  return cognitoSession(config, userId, tokens.refreshToken, tokens);
}

/** The session kept from an earlier visit, if it matches the current mode. */
export function restoreSession(config: WebConfig): Session | undefined {
  const stored = storedSession();
  if (config.mode === 'local' && stored?.mode === 'local') return localSession(config, stored.userId);
  if (config.mode === 'cognito' && stored?.mode === 'cognito')
    return cognitoSession(config, stored.userId, stored.refreshToken);
  return undefined;
}

function storedSession(): Stored | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return undefined;
  }
  if (typeof stored !== 'object' || stored === null || !('mode' in stored) || !('userId' in stored))
    return undefined;
  if (typeof stored.userId !== 'string') return undefined;
  if (stored.mode === 'local') return { mode: 'local', userId: stored.userId };
  if (stored.mode === 'cognito' && 'refreshToken' in stored && typeof stored.refreshToken === 'string')
    return { mode: 'cognito', userId: stored.userId, refreshToken: stored.refreshToken };
  return undefined;
}
