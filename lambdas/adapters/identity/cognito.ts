import {
  AdminUserGlobalSignOutCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { IdentityProvider } from '../../core/ports';

/**
 * Signs a user out of every device at Cognito: every refresh token is revoked, so no new ID token can
 * be had without signing in again. ID tokens already issued stay valid until they expire; the core
 * refuses those by their `iat` (Profile.signedOutAt).
 * https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_AdminUserGlobalSignOut.html
 */
export class CognitoIdentityProvider implements IdentityProvider {
  private readonly client = new CognitoIdentityProviderClient({});

  constructor(private readonly userPoolId: string) {}

  async signOutEverywhere(userId: string): Promise<void> {
    await this.client.send(
      new AdminUserGlobalSignOutCommand({ UserPoolId: this.userPoolId, Username: userId }),
    );
  }
}
