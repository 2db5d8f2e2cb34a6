import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  VerificationEmailStyle,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

export interface ChatIdentityProps {
  /**
   * Lifetime of the ID token the WebSocket authorizer verifies; a connection ends with its token (the
   * routes refuse frames after `exp` and close it), so this also bounds how long one connection lives.
   * @default Duration.hours(1)
   */
  readonly idTokenValidity?: Duration;
  /**
   * @default 12
   */
  readonly minPasswordLength?: number;
}

/**
 * Who the users are: a Cognito user pool with self sign-up confirmed by an emailed code, usernames
 * (case-insensitive) as the sign-in name, and a public app client (no secret) for browsers and CLIs.
 */
export class ChatIdentity extends Construct {
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  /** Value of the `iss` claim in the pool's tokens. */
  readonly issuer: string;
  /** Value of the `aud` claim in the app client's ID tokens. */
  readonly audience: string;
  /** Where the pool publishes the keys that sign its tokens. */
  readonly jwksUrl: string;

  constructor(scope: Construct, id: string, props: ChatIdentityProps = {}) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: true,
      signInAliases: { username: true },
      signInCaseSensitive: false,
      // Sign-up sends a code to this address and ConfirmSignUp takes it (web/cognito.ts), so every
      // account has a verified email to recover with.
      standardAttributes: { email: { required: true, mutable: true } },
      autoVerify: { email: true },
      userVerification: { emailStyle: VerificationEmailStyle.CODE },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: props.minPasswordLength ?? 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      featurePlan: FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.userPoolClient = this.userPool.addClient('AppClient', {
      generateSecret: false,
      // The web client signs in with USER_PASSWORD_AUTH over plain fetch (no SRP library in the
      // browser); SRP stays for SDK and Amplify clients. CDK always adds ALLOW_REFRESH_TOKEN_AUTH, which
      // the web client's REFRESH_TOKEN_AUTH renewals need.
      authFlows: { userPassword: true, userSrp: true },
      // Sign-in happens in our own UI through the Cognito API; no hosted UI or OAuth redirects.
      disableOAuth: true,
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      idTokenValidity: props.idTokenValidity ?? Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
    });

    const stack = Stack.of(this);
    this.issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${this.userPool.userPoolId}`;
    this.audience = this.userPoolClient.userPoolClientId;
    this.jwksUrl = `${this.issuer}/.well-known/jwks.json`;

    acknowledge(
      this.userPool,
      'AwsSolutions-COG2',
      'MFA is optional (TOTP) rather than required: a chat account protects low-value data and required MFA would block self sign-up from the CLI and test clients; users can turn TOTP on.',
    );
    acknowledge(
      this.userPool,
      'AwsSolutions-COG8',
      'The Plus feature plan (threat protection) is billed per monthly active user; the Essentials plan with strong passwords, optional TOTP and token revocation fits a chat with low-value accounts.',
    );
  }
}
