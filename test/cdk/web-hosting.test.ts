import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGE } from '../../contract/routes';
import type { ChatStack } from '../../lib/chat-stack';
import { flattenCfnValue } from '../../lib/nag';
import { WebHosting } from '../../lib/web-hosting';
import { buildWeb } from '../../web/build';
import { parseConfig } from '../../web/config';
import { cdkJsonContext, chatStackWithoutBundling } from './app';
import {
  actionsOf,
  bucketPolicyIdOf,
  logicalIdOf,
  mentions,
  onlyResource,
  resource,
  resourcesOfType,
  statementsForRole,
  webDeployment,
  webDeploymentHandlerId,
} from './template';

/** The deployment's sources: their object keys, and their deploy-time markers in the same order. */
function deploymentSources(template: Template): { keys: unknown[]; markers: unknown[] } {
  const properties = webDeployment(template).Properties ?? {};
  const keys: unknown = properties.SourceObjectKeys;
  const markers: unknown = properties.SourceMarkers;
  if (!Array.isArray(keys)) throw new Error('The BucketDeployment has no SourceObjectKeys');
  // CDK leaves SourceMarkers out when no source has a deploy-time value.
  return { keys, markers: Array.isArray(markers) ? markers : [] };
}

/**
 * A file as the deployment will write it: the staged file with each deploy-time marker replaced by the
 * CloudFormation value it stands for, written as cdk-nag writes values (`<LogicalId>`, `<AWS::Region>`),
 * so it can be compared with the stack's own tokens.
 */
function deployedFile(stack: Stack, template: Template, name: string): string {
  const stage = Stage.of(stack);
  if (!stage) throw new Error('The stack is in no app');
  // Template.fromStack synthesized the app already; this returns that cloud assembly.
  const directory = stage.synth().directory;
  const { keys, markers } = deploymentSources(template);
  const staged = keys.flatMap((key, index) => {
    const path = join(directory, `asset.${String(key).replace(/\.zip$/, '')}`, name);
    return existsSync(path) ? [{ path, markers: markers[index] }] : [];
  });
  expect(staged).toHaveLength(1);
  const [file] = staged;
  if (!file) return '';
  let text = readFileSync(file.path, 'utf8');
  for (const [marker, value] of Object.entries(file.markers ?? {})) {
    text = text.replaceAll(marker, flattenCfnValue(value));
  }
  return text;
}

describe('ChatStack web client hosting', () => {
  let stack: ChatStack;
  let template: Template;
  let bucketId: string;
  let distributionId: string;

  beforeAll(() => {
    stack = chatStackWithoutBundling();
    template = Template.fromStack(stack);
    bucketId = logicalIdOf(stack, stack.web.bucket.bucketName);
    distributionId = logicalIdOf(stack, stack.web.distribution.distributionId);
  });

  it('keeps the client in a private, encrypted bucket that is not a website', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    onlyResource(template, bucketId).hasResource('AWS::S3::Bucket', {
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        WebsiteConfiguration: Match.absent(),
        BucketName: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('denies requests without TLS and lets only this distribution read, through OAC', () => {
    const policy = resource(template, bucketPolicyIdOf(template, bucketId));
    const document = policy.Properties?.PolicyDocument;
    const statements: unknown =
      typeof document === 'object' && document !== null && 'Statement' in document
        ? document.Statement
        : undefined;
    const bucketArn = { 'Fn::GetAtt': [bucketId, 'Arn'] };
    const objectsArn = { 'Fn::Join': ['', [bucketArn, '/*']] };
    expect(statements).toEqual([
      {
        Effect: 'Deny',
        Action: 's3:*',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        Resource: [bucketArn, objectsArn],
      },
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Condition: {
          StringEquals: {
            'AWS:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudfront::',
                  { Ref: 'AWS::AccountId' },
                  ':distribution/',
                  { Ref: distributionId },
                ],
              ],
            },
          },
        },
        Resource: objectsArn,
      },
    ]);
  });

  it('serves index.html over HTTPS from the bucket through Origin Access Control', () => {
    template.resourceCountIs('AWS::CloudFront::Distribution', 1);
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const [oacId] = Object.keys(resourcesOfType(template, 'AWS::CloudFront::OriginAccessControl'));
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: {
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      },
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [
          Match.objectLike({
            DomainName: { 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] },
            OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
            S3OriginConfig: { OriginAccessIdentity: '' },
          }),
        ],
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
        }),
      }),
    });
  });

  it('copies the client, index.html and config.json into the bucket, to be revalidated on each load', () => {
    template.resourceCountIs('Custom::CDKBucketDeployment', 1);
    const properties = webDeployment(template).Properties ?? {};
    expect(properties.DestinationBucketName).toEqual({ Ref: bucketId });
    expect(properties.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(properties.Prune).toBe(true);
    // No invalidation: no-cache makes CloudFront revalidate, and CDK's invalidation grant is on `*`.
    expect(properties).not.toHaveProperty('DistributionId');
    expect(deploymentSources(template).keys).toHaveLength(3);
  });

  it('writes config.json for Cognito sign-in against this stage and app client, with the VAPID public key', () => {
    const apiId = logicalIdOf(stack, stack.socketApi.api.apiId);
    const clientId = logicalIdOf(stack, stack.identity.userPoolClient.userPoolClientId);
    const expected = {
      mode: 'cognito',
      wsUrl: `wss://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/${STAGE}`,
      region: '<AWS::Region>',
      userPoolClientId: `<${clientId}>`,
      vapidPublicKey: flattenCfnValue(stack.resolve(stack.vapid.publicKey)),
    };
    const config: unknown = JSON.parse(deployedFile(stack, template, 'config.json'));
    expect(config).toEqual(expected);
    expect(parseConfig(config)).toEqual(expected);
    expect(expected.wsUrl).toBe(flattenCfnValue(stack.resolve(stack.socketApi.url)));
  });

  it('writes index.html with a Content-Security-Policy naming the stage, Cognito and the media bucket, no wildcard', () => {
    const apiId = logicalIdOf(stack, stack.socketApi.api.apiId);
    const mediaId = logicalIdOf(stack, stack.media.bucket.bucketName);
    const html = deployedFile(stack, template, 'index.html');
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)" \/>/.exec(html)?.[1] ?? '';
    const directives = new Map(
      csp.split('; ').map((directive) => {
        const [name = '', ...sources] = directive.split(' ');
        return [name, sources];
      }),
    );
    const media = `https://<${mediaId}>.s3.<AWS::Region>.<AWS::URLSuffix>`;
    expect(directives.get('connect-src')).toEqual([
      "'self'",
      `wss://<${apiId}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/${STAGE}`,
      'https://cognito-idp.<AWS::Region>.amazonaws.com',
      media,
    ]);
    expect(directives.get('img-src')).toEqual(["'self'", 'data:', 'blob:', media]);
    expect(directives.get('media-src')).toEqual(["'self'", 'blob:', media]);
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('worker-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(csp).not.toMatch(/(^|\s)(https?:|wss?:|\*)(\s|;|$)/);
    expect(html).toContain('<script type="module" src="app.js"></script>');
  });

  it('runs the deployment with its own role, which writes logs only to its own log group', () => {
    const handler = resource(template, webDeploymentHandlerId(template));
    const roleId = logicalIdOf(stack, stack.web.deployment.handlerRole.roleArn);
    expect(handler.Properties?.Role).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    const logs = stack.web.node.findChild('DeploymentLogs');
    if (!(logs instanceof LogGroup)) throw new Error('WebHosting has no DeploymentLogs log group');
    const logGroupId = logicalIdOf(stack, logs.logGroupName);
    expect(handler.Properties?.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    expect(resource(template, logGroupId).Properties?.RetentionInDays).toBe(30);

    const statements = statementsForRole(template, roleId);
    expect(
      statements.filter((statement) => actionsOf(statement).some((action) => action.startsWith('logs:'))),
    ).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      },
    ]);
    const actions = statements.flatMap((statement) => actionsOf(statement));
    expect(actions.filter((action) => !action.startsWith('s3:') && !action.startsWith('logs:'))).toEqual([]);
    for (const statement of statements) {
      const writes = actionsOf(statement).some((action) => /^s3:(Put|Delete|Abort)/.test(action));
      if (writes) expect(mentions(statement.Resource, bucketId), JSON.stringify(statement)).toBe(true);
    }
  });

  it('exports the https URL of the distribution', () => {
    template.hasOutput('WebClientUrl', {
      Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] },
    });
  });
});

describe('web client asset', () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'chat-web-asset-'));
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  it('is built during synthesis by buildWeb, byte for byte', () => {
    const app = new App({ outdir: join(outdir, 'cdk.out'), context: cdkJsonContext() });
    const stack = new Stack(app, 'WebAssetTest');
    new WebHosting(stack, 'Web', {
      config: {
        wsUrl: 'wss://chat.example/live',
        region: 'eu-west-1',
        userPoolClientId: 'client',
        vapidPublicKey: 'BKey',
      },
    });
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    const assetDirs = deploymentSources(template)
      .keys.map((key) => join(assembly.directory, `asset.${String(key).replace(/\.zip$/, '')}`))
      .filter((dir) => existsSync(join(dir, 'app.js')));
    expect(assetDirs).toHaveLength(1);
    const [fromSynth = ''] = assetDirs;

    // At the same depth as CDK's bundling directory, so the source maps' relative paths agree.
    const fromBuild = buildWeb(join(outdir, 'esbuild', 'web'));
    const files = readdirSync(fromBuild).sort();
    expect(files).toEqual(expect.arrayContaining(['app.js', 'styles.css']));
    expect(readdirSync(fromSynth).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(join(fromSynth, file)).equals(readFileSync(join(fromBuild, file))), file).toBe(
        true,
      );
    }
  });
});
