/**
 * The few Cognito user pool calls the app needs, over the Cognito Identity Provider JSON API with plain
 * fetch: no AWS SDK in the browser. These calls need no AWS credentials, only the app client id.
 */
export interface CognitoPool {
  region: string;
  userPoolClientId: string;
}

export interface CognitoTokens {
  idToken: string;
  /** Local clock, epoch ms. */
  expiresAt: number;
  /** Absent on a refresh: the refresh token stays the same. */
  refreshToken?: string;
}

/** A refusal from Cognito; `type` is its exception name, e.g. NotAuthorizedException. */
export class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'CognitoError';
  }
}

async function call(pool: CognitoPool, operation: string, body: Record<string, unknown>): Promise<unknown> {
  const response = await fetch(`https://cognito-idp.${pool.region}.amazonaws.com/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify({ ClientId: pool.userPoolClientId, ...body }),
  });
  const result: unknown = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = stringField(result, '__type')?.split('#').pop() ?? `HTTP ${response.status}`;
    throw new CognitoError(type, stringField(result, 'message') ?? stringField(result, 'Message') ?? type);
  }
  return result;
}

function stringField(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const field: unknown = (value as Record<string, unknown>)[name];
  return typeof field === 'string' ? field : undefined;
}

function tokensFrom(result: unknown): CognitoTokens {
  const challenge = stringField(result, 'ChallengeName');
  if (challenge) throw new CognitoError('ChallengeRequired', challenge);
  const auth: unknown =
    typeof result === 'object' && result !== null && 'AuthenticationResult' in result
      ? result.AuthenticationResult
      : undefined;
  const idToken = stringField(auth, 'IdToken');
  const expiresIn =
    typeof auth === 'object' && auth !== null && 'ExpiresIn' in auth && typeof auth.ExpiresIn === 'number'
      ? auth.ExpiresIn
      : 3600;
  if (!idToken) throw new CognitoError('InvalidResponse', 'Cognito returned no ID token');
  const refreshToken = stringField(auth, 'RefreshToken');
  return { idToken, expiresAt: Date.now() + expiresIn * 1000, ...(refreshToken && { refreshToken }) };
}

export async function signIn(pool: CognitoPool, username: string, password: string): Promise<CognitoTokens> {
  const result = await call(pool, 'InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return tokensFrom(result);
}

export async function refresh(pool: CognitoPool, refreshToken: string): Promise<CognitoTokens> {
  const result = await call(pool, 'InitiateAuth', {
    AuthFlow: 'REFRESH_TOKEN_AUTH',
    AuthParameters: { REFRESH_TOKEN: refreshToken },
  });
  return tokensFrom(result);
}

/** Revokes a refresh token (and the tokens it issued), so a copy left behind cannot sign in again. */
export async function revokeToken(pool: CognitoPool, refreshToken: string): Promise<void> {
  await call(pool, 'RevokeToken', { Token: refreshToken });
}

/** Resolves with where the confirmation code went, e.g. "a***@e***". */
export async function signUp(
  pool: CognitoPool,
  username: string,
  password: string,
  email: string,
): Promise<string> {
  const result = await call(pool, 'SignUp', {
    Username: username,
    Password: password,
    UserAttributes: [{ Name: 'email', Value: email }],
  });
  const delivery: unknown =
    typeof result === 'object' && result !== null && 'CodeDeliveryDetails' in result
      ? result.CodeDeliveryDetails
      : undefined;
  return stringField(delivery, 'Destination') ?? email;
}

export async function confirmSignUp(pool: CognitoPool, username: string, code: string): Promise<void> {
  await call(pool, 'ConfirmSignUp', { Username: username, ConfirmationCode: code });
}

/** The `cognito:username` claim of an ID token: the user id the server will see. */
export function usernameOf(idToken: string): string | undefined {
  const payload = idToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const json: unknown = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/')));
    return stringField(json, 'cognito:username')?.toLowerCase();
  } catch {
    return undefined;
  }
}
