import {
  ApiGatewayManagementApiClient,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import {
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../contract/environment';
import type { ServerEvent } from '../../contract/protocol/frames';
import type { FunctionName } from '../../contract/routes';
import { TABLES } from '../../contract/tables';
import { ManagementApiNotifier } from '../../lambdas/adapters/connections/notifier';
import { LambdaInvoker } from '../../lambdas/adapters/lambda/invoker';
import { bundleFunctions, instantiate } from '../../local/functions';
import type { FunctionCredentials } from '../../local/permissions';
import { localTableName } from '../../local/provision';
import type { Runtime } from '../../local/runtime';
import { startTestRuntime } from '../support/runtime';

let runtime: Runtime;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime({ allowDenials: true });
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await runtime.stop();
});

function as<T extends { destroy(): void }>(
  make: (config: { region: string; credentials: FunctionCredentials }) => T,
  name: FunctionName,
): T {
  const client = make({ region: 'us-east-1', credentials: runtime.credentialsOf(name) });
  clients.push(client);
  return client;
}

const dynamoAs = (name: FunctionName) =>
  as((config) => new DynamoDBClient({ ...config, endpoint: runtime.functionsDynamoEndpoint }), name);

async function failureOf(
  promise: Promise<unknown>,
): Promise<{ name?: unknown; status?: unknown; message?: unknown }> {
  return promise.then(
    () => ({}),
    (error: { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } }) => ({
      name: error.name,
      status: error.$metadata?.httpStatusCode,
      message: error.message,
    }),
  );
}

const users = localTableName('users');
const key = { pk: { S: 'user#nobody' }, sk: { S: '#profile' } };

describe('each local function may call only what its contract entry grants', () => {
  it('DynamoDB: granted actions pass, others fail with AccessDeniedException', async () => {
    const settings = dynamoAs('updateSettings');
    const sweeper = dynamoAs('sweeper');

    const granted = await settings.send(new GetItemCommand({ TableName: users, Key: key }));
    const put = await failureOf(settings.send(new PutItemCommand({ TableName: users, Item: key })));
    const scan = await failureOf(settings.send(new ScanCommand({ TableName: users })));
    const byExpiry = {
      TableName: users,
      IndexName: 'byExpiry',
      KeyConditionExpression: 'expiryShard = :s',
      ExpressionAttributeValues: { ':s': { S: '0' } },
    };
    const sweeperQuery = await sweeper.send(new QueryCommand(byExpiry));
    const settingsQuery = await failureOf(settings.send(new QueryCommand(byExpiry)));

    expect(granted.$metadata.httpStatusCode).toBe(200);
    expect(sweeperQuery.$metadata.httpStatusCode).toBe(200);
    for (const denied of [put, scan, settingsQuery]) {
      expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 400 });
    }
    expect(String(put.message)).toBe(
      `User: arn:aws:sts::000000000000:assumed-role/chat-updateSettings-role/updateSettings is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:local:000000000000:table/${users} because no identity-based policy allows the dynamodb:PutItem action`,
    );
  });

  it('DynamoDB: refuses unsigned requests, unknown keys and wrong secrets', async () => {
    const unsigned = await fetch(runtime.functionsDynamoEndpoint, {
      method: 'POST',
      headers: {
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
        'Content-Type': 'application/x-amz-json-1.0',
      },
      body: '{}',
    });
    const stranger = new DynamoDBClient({
      endpoint: runtime.functionsDynamoEndpoint,
      credentials: { accessKeyId: 'STRANGER', secretAccessKey: 'whatever' },
    });
    const forger = new DynamoDBClient({
      endpoint: runtime.functionsDynamoEndpoint,
      credentials: { accessKeyId: runtime.credentialsOf('typing').accessKeyId, secretAccessKey: 'guessed' },
    });
    clients.push(stranger, forger);

    expect(unsigned.status).toBe(400);
    expect(await unsigned.json()).toMatchObject({
      __type: expect.stringContaining('MissingAuthenticationToken'),
    });
    expect(await failureOf(stranger.send(new GetItemCommand({ TableName: users, Key: key })))).toMatchObject({
      name: 'UnrecognizedClientException',
    });
    expect(await failureOf(forger.send(new GetItemCommand({ TableName: users, Key: key })))).toMatchObject({
      name: 'InvalidSignatureException',
    });
    expect(await failureOf(dynamoAs('sweeper').send(new ListTablesCommand({})))).toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('@connections: only the granted methods', async () => {
    const sender = as(
      (config) => new ApiGatewayManagementApiClient({ ...config, endpoint: runtime.connectionsEndpoint }),
      'sendMessage',
    );
    const stranger = as(
      (config) => new ApiGatewayManagementApiClient({ ...config, endpoint: runtime.connectionsEndpoint }),
      'connect',
    );
    const connection = { ConnectionId: 'AAAAAAAAAAAAAAA=' };

    const post = await failureOf(sender.send(new PostToConnectionCommand({ ...connection, Data: 'x' })));
    const get = await failureOf(sender.send(new GetConnectionCommand(connection)));
    const foreign = await failureOf(stranger.send(new PostToConnectionCommand({ ...connection, Data: 'x' })));

    // Allowed, so the call reaches the connection, which does not exist.
    expect(post).toMatchObject({ name: 'GoneException', status: 410 });
    expect(get).toMatchObject({ name: 'ForbiddenException', status: 403 });
    expect(foreign).toMatchObject({ name: 'ForbiddenException', status: 403 });
  });

  it('Lambda: only the functions an entry invokes', async () => {
    const typing = as((config) => new LambdaClient({ ...config, endpoint: runtime.httpUrl }), 'typing');
    const sync = as((config) => new LambdaClient({ ...config, endpoint: runtime.httpUrl }), 'sync');
    const dryRun = { FunctionName: 'drain', InvocationType: 'DryRun' as const, Payload: '{}' };

    const allowed = await sync.send(new InvokeCommand(dryRun));
    const denied = await failureOf(typing.send(new InvokeCommand(dryRun)));

    expect(allowed.StatusCode).toBe(204);
    expect(denied).toMatchObject({ name: 'AccessDeniedException', status: 403 });
  });

  it("the handlers' own signed requests (no SDK client) pass the same checks, and their refusals keep AWS's names", async () => {
    const configOf = (name: FunctionName) => ({
      region: 'us-east-1',
      credentials: runtime.credentialsOf(name),
    });
    const sender = new ManagementApiNotifier(runtime.connectionsEndpoint, configOf('sendMessage'));
    const stranger = new ManagementApiNotifier(runtime.connectionsEndpoint, configOf('connect'));
    const absent = 'AAAAAAAAAAAAAAA=';
    const event: ServerEvent = { type: 'presence', users: [] };
    // The drain finds no such connection and ends: the call is queued all the same.
    const drain = { userId: 'nobody', deviceId: 'nowhere', connectionId: absent };

    // Signed and allowed, so they reach the connection, which does not exist.
    expect(await sender.post(absent, event, 2_000)).toBe('gone');
    await expect(sender.disconnect(absent)).resolves.toBeUndefined();
    await expect(stranger.post(absent, event)).rejects.toMatchObject({
      name: 'ForbiddenException',
      status: 403,
    });
    await expect(new LambdaInvoker('drain', configOf('sync')).invokeAsync(drain)).resolves.toBeUndefined();
    await expect(new LambdaInvoker('drain', configOf('typing')).invokeAsync(drain)).rejects.toMatchObject({
      name: 'AccessDeniedException',
      status: 403,
    });
  });
});

describe("each local function's environment", () => {
  it('is its own: the runtime leaves no function configuration in the process environment', () => {
    for (const variable of [ENV.connectionsEndpoint, ENV.jwtIssuer, ...TABLES.map((table) => table.envVar)]) {
      expect(process.env[variable], variable).toBeUndefined();
    }
  });

  it('fails a cold start when a variable its twin gets is missing', async () => {
    const bundles = await bundleFunctions();
    const sendMessage = bundles.get('sendMessage');
    if (sendMessage === undefined) throw new Error('no sendMessage bundle');

    expect(() => instantiate(sendMessage, { AWS_REGION: 'us-east-1' })).toThrow(
      'Missing required environment variable',
    );
  });
});
