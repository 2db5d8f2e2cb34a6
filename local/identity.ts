import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { userIdSchema } from '../contract/protocol/frames';

/**
 * A local stand-in for Cognito: anyone may get a token for any username. LOCAL ONLY — it has no
 * passwords. Its tokens have the shape of Cognito ID tokens and are verified by the same authorizer
 * code, through a JWKS URL, as the deployed stack's Cognito tokens.
 */
export const LOCAL_AUDIENCE = 'local-chat-client';
const KEY_ID = 'local-issuer-key';
const DEFAULT_TOKEN_SECONDS = 60 * 60;

export interface IssuedToken {
  token: string;
  userId: string;
  expiresAt: number;
}

export interface LocalIssuer {
  issuer: string;
  jwksUrl: string;
  audience: string;
  /**
   * `withoutExpiry` signs a token with no `exp`, which Cognito never issues: for tests that the
   * authorizer refuses it.
   */
  issue(
    username: string,
    options?: { expiresInSeconds?: number; withoutExpiry?: boolean },
  ): Promise<IssuedToken>;
  /** Serves `GET|POST /auth/token` and the JWKS; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/** The key survives restarts when a data folder is used, so tokens issued before a restart stay valid. */
async function loadKeys(keyFile: string | undefined): Promise<{ privateKey: SigningKey; publicJwk: JWK }> {
  if (keyFile && existsSync(keyFile)) {
    const privateJwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
    return { privateKey: await importJWK(privateJwk, 'RS256'), publicJwk };
  }
  const pair = await generateKeyPair('RS256', { extractable: true });
  if (keyFile) writeFileSync(keyFile, JSON.stringify(await exportJWK(pair.privateKey)), { mode: 0o600 });
  return { privateKey: pair.privateKey, publicJwk: await exportJWK(pair.publicKey) };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > 4096) throw new Error('request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function createLocalIssuer(options: {
  baseUrl: string;
  keyFile?: string;
}): Promise<LocalIssuer> {
  const { privateKey, publicJwk } = await loadKeys(options.keyFile);
  const issuer = `${options.baseUrl}/auth`;
  const jwksUrl = `${issuer}/.well-known/jwks.json`;

  const issue: LocalIssuer['issue'] = async (username, issueOptions = {}) => {
    const userId = userIdSchema.parse(username.toLowerCase());
    const now = Math.floor(Date.now() / 1000);
    const expiresAt = now + (issueOptions.expiresInSeconds ?? DEFAULT_TOKEN_SECONDS);
    const jwt = new SignJWT({ token_use: 'id', 'cognito:username': userId })
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID })
      .setIssuer(issuer)
      .setAudience(LOCAL_AUDIENCE)
      .setSubject(userId)
      .setIssuedAt(now);
    if (!issueOptions.withoutExpiry) jwt.setExpirationTime(expiresAt);
    const token = await jwt.sign(privateKey);
    return { token, userId, expiresAt: expiresAt * 1000 };
  };

  const handle: LocalIssuer['handle'] = async (req, res) => {
    const url = new URL(req.url ?? '/', options.baseUrl);
    if (url.pathname === '/auth/.well-known/jwks.json' && req.method === 'GET') {
      sendJson(res, 200, { keys: [{ ...publicJwk, kid: KEY_ID, alg: 'RS256', use: 'sig' }] });
      return true;
    }
    if (url.pathname !== '/auth/token') return false;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type',
      });
      res.end();
      return true;
    }
    let username: unknown = url.searchParams.get('username');
    // A token that expired already (negative) or soon, for testing how clients handle expiry.
    let lifetime: unknown = url.searchParams.get('expiresInSeconds') ?? undefined;
    try {
      if (req.method === 'POST') {
        const body: unknown = JSON.parse((await readBody(req)) || '{}');
        username =
          typeof body === 'object' && body !== null && 'username' in body ? body.username : undefined;
        lifetime =
          typeof body === 'object' && body !== null && 'expiresInSeconds' in body
            ? body.expiresInSeconds
            : undefined;
      } else if (req.method !== 'GET') {
        sendJson(res, 405, { error: 'METHOD_NOT_ALLOWED', message: 'Use GET or POST' });
        return true;
      }
    } catch {
      sendJson(res, 400, { error: 'BAD_JSON', message: 'The body must be JSON like {"username":"alice"}' });
      return true;
    }
    const parsed = userIdSchema.safeParse(typeof username === 'string' ? username.toLowerCase() : undefined);
    if (!parsed.success) {
      sendJson(res, 400, {
        error: 'INVALID_USERNAME',
        message: 'username: 1-32 of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
      });
      return true;
    }
    const expiresInSeconds = lifetime === undefined ? undefined : Number(lifetime);
    if (
      expiresInSeconds !== undefined &&
      !(Number.isInteger(expiresInSeconds) && Math.abs(expiresInSeconds) <= 86_400)
    ) {
      sendJson(res, 400, {
        error: 'INVALID_EXPIRY',
        message: 'expiresInSeconds: a whole number from -86400 to 86400 (negative: already expired)',
      });
      return true;
    }
    const issued = await issue(parsed.data, expiresInSeconds === undefined ? {} : { expiresInSeconds });
    sendJson(res, 200, { ...issued, tokenType: 'id', localOnly: true });
    return true;
  };

  return { issuer, jwksUrl, audience: LOCAL_AUDIENCE, issue, handle };
}
