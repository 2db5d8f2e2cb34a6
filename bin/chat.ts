#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ChatStack } from '../lib/chat-stack';

const DEFAULT_STACK_NAME = 'ServerlessChat';

const app = new App();

// `cdk deploy -c stackName=ServerlessChat-dev` (or CHAT_STACK_NAME) puts a second stage in the same account.
const fromContext: unknown = app.node.tryGetContext('stackName');
const stackName =
  (typeof fromContext === 'string' && fromContext !== '' ? fromContext : undefined) ??
  (process.env.CHAT_STACK_NAME || undefined) ??
  DEFAULT_STACK_NAME;

new ChatStack(app, stackName, {
  stackName,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Serverless 1:1 chat: API Gateway WebSocket API, Lambda, DynamoDB, S3, Cognito',
});

// cdk-nag 3 is a policy validation plugin: an unacknowledged finding fails `cdk synth` and `cdk deploy`.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
