#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { LOG_LEVELS } from '../contract/environment';
import { ChatStack } from '../lib/chat-stack';

const DEFAULT_STACK_NAME = 'ServerlessChat';

const app = new App();

/** A string given with `-c name=value`, or undefined. */
function context(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `-c name=true` or `-c name=false`; undefined when not given. */
function flag(name: string): boolean | undefined {
  const value = context(name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false')
    throw new Error(`-c ${name} must be true or false, got ${value}`);
  return value === 'true';
}

// `cdk deploy -c stackName=ServerlessChat-dev` (or CHAT_STACK_NAME) puts a second stage in the same account.
const stackName = context('stackName') ?? (process.env.CHAT_STACK_NAME || undefined) ?? DEFAULT_STACK_NAME;

const logLevel = LOG_LEVELS.find((level) => level === context('logLevel')?.toUpperCase());
if (context('logLevel') !== undefined && !logLevel) {
  throw new Error(`-c logLevel must be one of ${LOG_LEVELS.join(', ')}`);
}

// Deploy options (docs/runbook.md): -c alarmTopicArn=arn:aws:sns:…, -c apiAccessLogs=false,
// -c apiGatewayCloudWatchRole=true, -c logLevel=DEBUG.
new ChatStack(app, stackName, {
  stackName,
  alarmTopicArn: context('alarmTopicArn'),
  apiAccessLogging: flag('apiAccessLogs'),
  apiGatewayCloudWatchRole: flag('apiGatewayCloudWatchRole'),
  logLevel,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Serverless 1:1 chat: API Gateway WebSocket API, Lambda, DynamoDB, S3, Cognito',
});

// cdk-nag 3 is a policy validation plugin: an unacknowledged finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true }),
  new ServerlessChecks(app, { verbose: true }),
);
