import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../aws/clients';
import {
  type Connection,
  DEFAULT_SETTINGS,
  type Profile,
  type UserState,
  type UserStore,
} from '../core/ports';
import { lastSeenVisibility } from '../protocol/frames';

const userKey = (userId: string) => `user#${userId}`;
/**
 * The profile and the connections share the prefix "#" so that one Query (`begins_with(sk, "#")`) reads
 * exactly them, leaving the user's other items (device cursors, settings of later features) out.
 */
const LIVE_PREFIX = '#';
const PROFILE = '#profile';
const CONNECTION_PREFIX = '#conn#';

/** DynamoDB's TTL wants epoch seconds; freshness is judged on `freshUntil` (ms) because TTL deletes late. */
const ttlSeconds = (freshUntil: number) => Math.ceil(freshUntil / 1000);

export class DynamoUserStore implements UserStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async addConnection(connection: Connection): Promise<void> {
    await Promise.all([
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: userKey(connection.userId),
            sk: CONNECTION_PREFIX + connection.connectionId,
            ...connection,
            expiresAt: ttlSeconds(connection.freshUntil),
          },
        }),
      ),
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(connection.userId), sk: PROFILE },
          UpdateExpression:
            'SET userId = :u, createdAt = if_not_exists(createdAt, :now), lastActiveAt = :now',
          ExpressionAttributeValues: { ':u': connection.userId, ':now': connection.connectedAt },
        }),
      ),
    ]);
  }

  async removeConnection(userId: string, connectionId: string): Promise<void> {
    await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: userKey(userId), sk: CONNECTION_PREFIX + connectionId },
      }),
    );
  }

  async refreshConnection(
    userId: string,
    connectionId: string,
    freshUntil: number,
    now: number,
  ): Promise<boolean> {
    try {
      await Promise.all([
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: userKey(userId), sk: CONNECTION_PREFIX + connectionId },
            UpdateExpression: 'SET freshUntil = :f, expiresAt = :e',
            ConditionExpression: 'attribute_exists(pk) AND freshUntil > :now',
            ExpressionAttributeValues: { ':f': freshUntil, ':e': ttlSeconds(freshUntil), ':now': now },
          }),
        ),
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: userKey(userId), sk: PROFILE },
            UpdateExpression: 'SET lastActiveAt = :now',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': now },
          }),
        ),
      ]);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getUser(userId: string, now: number): Promise<UserState> {
    const state: UserState = { profile: undefined, connections: [] };
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :live)',
          ExpressionAttributeValues: { ':pk': userKey(userId), ':live': LIVE_PREFIX },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const sk = String(item.sk);
        if (sk === PROFILE) {
          const visibility = lastSeenVisibility.safeParse(item.lastSeenVisibility);
          state.profile = {
            userId,
            createdAt: Number(item.createdAt),
            lastActiveAt: Number(item.lastActiveAt),
            readReceipts:
              typeof item.readReceipts === 'boolean' ? item.readReceipts : DEFAULT_SETTINGS.readReceipts,
            lastSeenVisibility: visibility.success ? visibility.data : DEFAULT_SETTINGS.lastSeenVisibility,
          } satisfies Profile;
        } else if (sk.startsWith(CONNECTION_PREFIX) && Number(item.freshUntil) > now) {
          state.connections.push({
            userId,
            connectionId: String(item.connectionId),
            deviceId: String(item.deviceId),
            connectedAt: Number(item.connectedAt),
            freshUntil: Number(item.freshUntil),
          });
        }
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return state;
  }
}
