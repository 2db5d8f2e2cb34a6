import { DescribeTableCommand, DynamoDBClient, type TableDescription } from '@aws-sdk/client-dynamodb';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../contract/routes';
import { TABLES } from '../../contract/tables';
import { localTableName } from '../../local/provision';
import type { Runtime } from '../../local/runtime';
import { startTestRuntime } from '../support/runtime';
import { connectAs, type TestSocket } from '../support/socket';
import { chatStackWithoutBundling } from './app';
import { logicalIdOf, resource, resourcesOfType } from './template';

/**
 * The deployed stack and the local runtime are both built from contract/. This proves they
 * agree: the tables the local runtime creates have the template's keys and indexes, and the local
 * gateway serves exactly the template's routes.
 */
const stack = chatStackWithoutBundling();
const template = Template.fromStack(stack);
let runtime: Runtime;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  dynamo = new DynamoDBClient({ endpoint: runtime.dynamoEndpoint });
});

afterAll(async () => {
  dynamo.destroy();
  await runtime.stop();
});

type KeySchema = { AttributeName?: string; KeyType?: string }[] | undefined;
type Index = { IndexName?: string; KeySchema?: KeySchema; Projection?: { ProjectionType?: string } };

const keys = (schema: KeySchema) => (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`);
const indexes = (list: readonly Index[] | undefined) =>
  (list ?? [])
    .map((index) => ({
      name: index.IndexName,
      keys: keys(index.KeySchema),
      projection: index.Projection?.ProjectionType,
    }))
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));

function describeLocal(table: TableDescription) {
  return {
    keys: keys(table.KeySchema),
    attributes: (table.AttributeDefinitions ?? []).map((a) => `${a.AttributeName}:${a.AttributeType}`).sort(),
    globalIndexes: indexes(table.GlobalSecondaryIndexes),
    localIndexes: indexes(table.LocalSecondaryIndexes),
  };
}

function describeTemplate(properties: Record<string, unknown>) {
  const attributes = properties.AttributeDefinitions as { AttributeName: string; AttributeType: string }[];
  return {
    keys: keys(properties.KeySchema as KeySchema),
    attributes: attributes.map((a) => `${a.AttributeName}:${a.AttributeType}`).sort(),
    globalIndexes: indexes(properties.GlobalSecondaryIndexes as Index[] | undefined),
    localIndexes: indexes(properties.LocalSecondaryIndexes as Index[] | undefined),
  };
}

describe('the local runtime and the template', () => {
  it('have the same tables', () => {
    expect(Object.keys(resourcesOfType(template, 'AWS::DynamoDB::Table'))).toHaveLength(TABLES.length);
  });

  it.each(TABLES.map((table) => table.name))('give the %s table the same keys and indexes', async (name) => {
    const local = await dynamo.send(new DescribeTableCommand({ TableName: localTableName(name) }));
    if (!local.Table) throw new Error(`no local table ${name}`);
    const cloud = resource(template, logicalIdOf(stack, stack.tables.table(name).tableName)).Properties ?? {};
    expect(describeLocal(local.Table)).toEqual(describeTemplate(cloud));
  });

  it('serve the same routes', async () => {
    const cloudRoutes = Object.values(resourcesOfType(template, 'AWS::ApiGatewayV2::Route'))
      .map((route) => String(route.Properties?.RouteKey))
      .sort();
    expect(cloudRoutes).toEqual(ROUTES.map((route) => route.routeKey).sort());

    // Every action route of the template reaches a handler locally: a frame without its fields is
    // refused by that handler as INVALID_FRAME, where an unrouted action would be UNKNOWN_ACTION.
    const socket: TestSocket = await connectAs(runtime, 'parity');
    try {
      for (const routeKey of cloudRoutes.filter((key) => !key.startsWith('$'))) {
        const reply = await socket.request({ action: routeKey, unexpectedField: true });
        expect({ routeKey, code: reply.code }).toEqual({ routeKey, code: 'INVALID_FRAME' });
      }
      const unrouted = await socket.request({ action: 'notARoute' });
      expect(unrouted).toMatchObject({ type: 'error', code: 'UNKNOWN_ACTION' });
    } finally {
      await socket.close();
    }
  });
});
