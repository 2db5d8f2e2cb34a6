import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DeviceStore } from '../../core/ports';
import { BATCH_GET_MAX, batchGetAll } from './batch-get';
import { unlessConditionFails } from './client';
import { cursorItem, decode, deviceItem } from './items';

/** Device state lives in the user's partition of the users table, outside the "#" range getUser reads. */
const userKey = (userId: string) => `user#${userId}`;
const deviceKey = (deviceId: string) => `device#${deviceId}`;
const cursorKey = (deviceId: string, conversationId: string) => `cursor#${deviceId}#${conversationId}`;
/** A sync of the device is running or queued until `until` (its lease); the drain deletes it when done. */
const syncKey = (deviceId: string) => `syncing#${deviceId}`;

export class DynamoDeviceStore implements DeviceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async lastSyncAt(userId: string, deviceId: string): Promise<number | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userKey(userId), sk: deviceKey(deviceId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? decode(deviceItem, result.Item, 'device').lastSyncAt : undefined;
  }

  async markSynced(userId: string, deviceId: string, at: number): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: userKey(userId), sk: deviceKey(deviceId), lastSyncAt: at },
      }),
    );
  }

  async cursors(
    userId: string,
    deviceId: string,
    conversationIds: readonly string[],
  ): Promise<Map<string, number>> {
    const cursors = new Map<string, number>();
    for (let start = 0; start < conversationIds.length; start += BATCH_GET_MAX) {
      const keys = conversationIds
        .slice(start, start + BATCH_GET_MAX)
        .map((conversationId) => ({ pk: userKey(userId), sk: cursorKey(deviceId, conversationId) }));
      for (const item of await batchGetAll(this.db, this.tableName, keys)) {
        const cursor = decode(cursorItem, item, 'cursor');
        cursors.set(cursor.conversationId, cursor.seq);
      }
    }
    return cursors;
  }

  async advanceCursor(userId: string, deviceId: string, conversationId: string, upTo: number): Promise<void> {
    // A cursor never moves backwards; a receipt below it changes nothing.
    await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: cursorKey(deviceId, conversationId) },
          UpdateExpression: 'SET seq = :n, conversationId = :c',
          ConditionExpression: 'attribute_not_exists(seq) OR seq < :n',
          ExpressionAttributeValues: { ':n': upTo, ':c': conversationId },
        }),
      ),
    );
  }

  async claimSync(userId: string, deviceId: string, until: number, now: number): Promise<boolean> {
    const claimed = await unlessConditionFails(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: userKey(userId), sk: syncKey(deviceId), until, expiresAt: Math.ceil(until / 1000) },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now',
          ExpressionAttributeNames: { '#until': 'until' },
          ExpressionAttributeValues: { ':now': now },
        }),
      ),
    );
    return claimed !== undefined;
  }

  async releaseSync(userId: string, deviceId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: userKey(userId), sk: syncKey(deviceId) } }),
    );
  }
}
