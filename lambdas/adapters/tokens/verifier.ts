import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { userIdSchema } from '../../../contract/protocol/frames';

export interface TokenVerifierConfig {
  issuer: string;
  /** The Cognito app client id: an ID token's `aud`, an access token's `client_id`. */
  audience: string;
  jwksUrl: string;
}

export type TokenCheck =
  | {
      ok: true;
      userId: string;
      /** The token's `exp` and `iat`, epoch ms: a connection ends with its token. */
      expiresAt: number;
      issuedAt: number;
    }
  | { ok: false; reason: 'invalid' | 'forbidden' };

/**
 * Verifies a Cognito-style JWT (signature against the issuer's JWKS, issuer, audience, expiry) and
 * returns the user id it names. A token without `exp` or `iat` is refused: a connection must end with its
 * token, and a sign-out everywhere refuses tokens issued before it. The local issuer signs tokens of
 * the same shape.
 */
export function createTokenVerifier(config: TokenVerifierConfig): (token: string) => Promise<TokenCheck> {
  const keys = createRemoteJWKSet(new URL(config.jwksUrl));
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        algorithms: ['RS256'],
        requiredClaims: ['exp', 'iat'],
      }));
    } catch {
      return { ok: false, reason: 'invalid' };
    }
    const forApp =
      (payload.token_use === 'id' && payload.aud === config.audience) ||
      (payload.token_use === 'access' && payload.client_id === config.audience);
    if (!forApp) return { ok: false, reason: 'invalid' };
    const username = payload['cognito:username'] ?? payload.username;
    const userId = userIdSchema.safeParse(typeof username === 'string' ? username.toLowerCase() : undefined);
    if (!userId.success) return { ok: false, reason: 'forbidden' };
    // requiredClaims made jose check that both are there and numeric.
    return {
      ok: true,
      userId: userId.data,
      expiresAt: Number(payload.exp) * 1000,
      issuedAt: Number(payload.iat) * 1000,
    };
  };
}
