import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { localTableName } from '../../local/provision';
import type { Runtime, RuntimeOptions } from '../../local/runtime';
import { startTestRuntime } from './runtime';
import { connectAs, type Frame, type TestSocket } from './socket';

export interface Harness {
  readonly runtime: Runtime;
  /** A client of the runtime's DynamoDB server, to look at (or tamper with) what the handlers stored. */
  readonly db: DynamoDBDocumentClient;
  /** Opens a socket as `username`; it is closed after the file's tests. */
  open(username: string, deviceId?: string): Promise<TestSocket>;
  /** Opens a socket and waits for the sync that follows every connect. */
  openSynced(username: string, deviceId: string): Promise<{ socket: TestSocket; synced: Frame }>;
  connectionIds(userId: string): Promise<string[]>;
  storedMessages(conversationId: string): Promise<Record<string, unknown>[]>;
}

/**
 * One runtime for the test file that calls it: started before its tests, stopped after them with
 * every socket the tests opened.
 */
export function useRuntime(options: RuntimeOptions = {}): Harness {
  let runtime: Runtime | undefined;
  let db: DynamoDBDocumentClient | undefined;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime(options);
    db = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoEndpoint }), {
      marshallOptions: { removeUndefinedValues: true },
    });
  });

  afterAll(async () => {
    await Promise.all(sockets.map((socket) => socket.close()));
    db?.destroy();
    await runtime?.stop();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('The runtime starts in beforeAll: use the harness inside tests');
    return value;
  };

  const harness: Harness = {
    get runtime() {
      return started(runtime);
    },
    get db() {
      return started(db);
    },
    async open(username, deviceId) {
      const socket = await connectAs(harness.runtime, username, deviceId ? { deviceId } : {});
      sockets.push(socket);
      return socket;
    },
    async openSynced(username, deviceId) {
      const socket = await harness.open(username, deviceId);
      const synced = await socket.next((frame) => frame.type === 'synced');
      return { socket, synced };
    },
    async connectionIds(userId) {
      const result = await harness.db.send(
        new QueryCommand({
          TableName: localTableName('users'),
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :c)',
          ExpressionAttributeValues: { ':pk': `user#${userId}`, ':c': '#conn#' },
          ConsistentRead: true,
        }),
      );
      return (result.Items ?? []).map((item) => String(item.connectionId));
    },
    async storedMessages(conversationId) {
      const result = await harness.db.send(
        new QueryCommand({
          TableName: localTableName('messages'),
          KeyConditionExpression: 'conversationId = :c',
          ExpressionAttributeValues: { ':c': conversationId },
          ConsistentRead: true,
        }),
      );
      return result.Items ?? [];
    },
  };
  return harness;
}
