import { CustomResource, Duration } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CHAT_RUNTIME, functionLogsAndRole } from './chat-function';
import { acknowledge } from './nag';

/**
 * Made once per deployment: reads the secret and, when it holds no key pair yet (its first creation,
 * where it holds CloudFormation's random placeholder), generates a P-256 pair and stores it. Only the
 * public key leaves, as the resource's attribute; nothing is logged. Answers CloudFormation itself
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html), so no
 * provider framework function is needed. The Node.js runtime includes the AWS SDK v3 it uses.
 */
const HANDLER = `
const { generateKeyPairSync } = require('node:crypto');
const sm = require('@aws-sdk/client-secrets-manager');
const client = new sm.SecretsManagerClient({});
async function keysOf(secretId) {
  const { SecretString } = await client.send(new sm.GetSecretValueCommand({ SecretId: secretId }));
  try {
    const keys = JSON.parse(SecretString);
    if (typeof keys.publicKey === 'string' && typeof keys.privateKey === 'string') return keys;
  } catch {}
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = {
    publicKey: pair.publicKey.export({ type: 'spki', format: 'der' }).subarray(-65).toString('base64url'),
    privateKey: pair.privateKey.export({ format: 'jwk' }).d,
  };
  await client.send(new sm.PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(keys) }));
  return keys;
}
exports.handler = async (event) => {
  const secretId = event.ResourceProperties.SecretArn;
  const response = {
    Status: 'SUCCESS',
    PhysicalResourceId: event.PhysicalResourceId || secretId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  try {
    if (event.RequestType !== 'Delete') response.Data = { PublicKey: (await keysOf(secretId)).publicKey };
  } catch (error) {
    response.Status = 'FAILED';
    response.Reason = 'VAPID keys: ' + (error && error.name);
  }
  // Bytes, not a string: fetch adds no Content-Type, which the presigned response URL was not signed with.
  await fetch(event.ResponseURL, { method: 'PUT', body: Buffer.from(JSON.stringify(response)) });
};
`;

export interface VapidKeysProps {
  /**
   * RFC 8292 `sub`: how a push service reaches the operator (mailto: or https:).
   */
  readonly subject: string;
}

/**
 * The deployment's VAPID key pair (RFC 8292), which signs every Web Push request: generated once, kept
 * in Secrets Manager (never in the template, the repository or a log), its public key handed to the
 * web client's config.json and to the functions that answer `setPushSubscription`.
 */
export class VapidKeys extends Construct {
  readonly secret: ISecret;
  /** Base64url, uncompressed P-256 point: a token resolved at deploy time. */
  readonly publicKey: string;
  readonly subject: string;
  /** The function that generates the pair; it runs only during deployments. */
  readonly generatorArn: string;

  constructor(scope: Construct, id: string, props: VapidKeysProps) {
    super(scope, id);
    this.subject = props.subject;
    const secret = new Secret(this, 'Secret', {
      description: "VAPID key pair of the chat's Web Push (public and private key, base64url)",
    });
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      'Rotating the VAPID key pair would invalidate every browser push subscription at once; a rotation is a planned operation (docs/runbook.md), not a schedule.',
    );
    this.secret = secret;

    const { logs, role } = functionLogsAndRole(this, 'Generator', {
      description: 'Generates the VAPID key pair once and stores it in its secret',
    });
    const generator = new LambdaFunction(this, 'Generator', {
      runtime: CHAT_RUNTIME,
      architecture: Architecture.ARM_64,
      handler: 'index.handler',
      code: Code.fromInline(HANDLER),
      timeout: Duration.seconds(30),
      memorySize: 256,
      role,
      logGroup: logs,
    });
    this.generatorArn = generator.functionArn;
    secret.grantRead(generator);
    secret.grantWrite(generator);
    for (const rule of ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion']) {
      acknowledge(
        generator,
        rule,
        'Pinned to Node.js 22 like every function of the stack (lib/chat-function.ts); it runs only when the stack is deployed.',
      );
    }
    acknowledge(
      generator,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by CloudFormation, which reports a failure as a failed deployment.',
    );
    acknowledge(
      generator,
      'Serverless-LambdaTracing',
      'Runs once per deployment, with one API call; CloudFormation shows its outcome.',
    );

    const resource = new CustomResource(this, 'Keys', {
      serviceToken: generator.functionArn,
      resourceType: 'Custom::VapidKeys',
      properties: { SecretArn: secret.secretArn },
    });
    this.publicKey = resource.getAttString('PublicKey');
  }
}
