/**
 * Operator command: signs one user out everywhere, as the `signOutEverywhere` action does for the user
 * themselves. Every refresh token is revoked at Cognito, tokens issued until now open no connection,
 * every live connection is closed, and every push subscription of theirs is removed.
 *
 *   CHAT_USERS_TABLE=<UsersTableName> CHAT_CONNECTIONS_ENDPOINT=<ConnectionsEndpoint> \
 *   CHAT_USER_POOL_ID=<UserPoolId> npm run sign-out-everywhere -- <userId>
 *
 * The values are the stack's outputs; AWS credentials come from the usual places (profile, SSO,
 * environment). Against `npm start`, leave CHAT_USER_POOL_ID unset and point AWS_ENDPOINT_URL_DYNAMODB
 * at its DynamoDB.
 */
import { userIdSchema } from '../contract/protocol/frames';
import { signOutEverywhere } from '../lambdas/core/connections';
import {
  identityFromEnv,
  notifierFromEnv,
  pushStoreFromEnv,
  systemClock,
  userStoreFromEnv,
} from '../lambdas/handlers/wiring/environment';

const userId = userIdSchema.safeParse(process.argv[2]);
if (!userId.success) {
  console.error('Usage: npm run sign-out-everywhere -- <userId>');
  process.exit(2);
}
const closed = await signOutEverywhere(
  {
    users: userStoreFromEnv(),
    notifier: notifierFromEnv(),
    clock: systemClock,
    identity: identityFromEnv(),
    push: pushStoreFromEnv(),
  },
  userId.data,
);
console.log(`Signed ${userId.data} out everywhere; closed ${closed} connection(s).`);
