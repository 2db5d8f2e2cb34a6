import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LIMITS } from '../../../contract/limits';
import type { Settings } from '../../../contract/protocol/frames';
import {
  type Connection,
  DEFAULT_SETTINGS,
  type Profile,
  type Removal,
  type UserState,
  type UserStore,
} from '../../core/ports';
import { BATCH_GET_MAX, batchGetAll } from './batch-get';
import { unlessConditionFails } from './client';
import {
  connectionItem,
  decode,
  liveConnectionEntry,
  profileItem,
  settingsAttributes,
  watcherItem,
} from './items';

export const userKey = (userId: string) => `user#${userId}`;
export const PROFILE = '#profile';
const CONNECTION_PREFIX = '#conn#';
const WATCHER_PREFIX = 'watch#';

const BY_EXPIRY = 'byExpiry';
/** Enough partitions of the expiry index to spread a burst of connections; the sweeper reads them all. */
const EXPIRY_SHARDS = 10;
const shardKey = (shard: number) => `x#${shard}`;

/** A stable shard per connection, so every write of a connection item puts it in the same place. */
export function expiryShardOf(connectionId: string): string {
  let hash = 0;
  for (let i = 0; i < connectionId.length; i++) hash = (hash * 31 + connectionId.charCodeAt(i)) >>> 0;
  return shardKey(hash % EXPIRY_SHARDS);
}

/** DynamoDB's TTL wants epoch seconds; freshness is judged on `freshUntil` (ms) because TTL deletes late. */
const ttlSeconds = (freshUntil: number) => Math.ceil(freshUntil / 1000);

/**
 * A connection record is garbage once API Gateway has closed its socket, at the latest the maximum
 * connection duration after it opened; heartbeats do not move the record, so TTL must not go by them.
 */
const connectionTtlSeconds = (connection: Connection) =>
  ttlSeconds(Math.max(connection.freshUntil, connection.connectedAt + LIMITS.maxConnectionMs));

/** A profile's settings, the defaults standing in for those never changed. */
function settingsOf(item: Record<string, unknown>): Settings {
  const settings = decode(settingsAttributes, item, 'profile');
  return {
    readReceipts: settings.readReceipts ?? DEFAULT_SETTINGS.readReceipts,
    lastSeenVisibility: settings.lastSeenVisibility ?? DEFAULT_SETTINGS.lastSeenVisibility,
    pushPreviews: settings.pushPreviews ?? DEFAULT_SETTINGS.pushPreviews,
  };
}

/**
 * The profile item keeps a copy of each live connection, under `c#<connectionId>`, so that one read
 * (or one BatchGetItem for both people of a conversation) answers "does this user exist, what are
 * their settings, and where are they connected". The copy's freshUntil is the truth: a heartbeat moves
 * only it (one write). The connection item keeps the freshness it was stored with, so its entry in the
 * sweeper's index never moves; the sweeper reads the copy of every entry that lapsed.
 */
const LIVE_ATTRIBUTE_PREFIX = 'c#';
const liveKey = (connectionId: string) => LIVE_ATTRIBUTE_PREFIX + connectionId;

function toUserState(userId: string, item: Record<string, unknown> | undefined, now: number): UserState {
  if (!item) return { profile: undefined, connections: [] };
  const connections: Connection[] = [];
  for (const [name, value] of Object.entries(item)) {
    if (!name.startsWith(LIVE_ATTRIBUTE_PREFIX) || typeof value !== 'object' || value === null) continue;
    const entry = decode(liveConnectionEntry, value as Record<string, unknown>, `profile ${name}`);
    if (entry.freshUntil <= now) continue;
    connections.push({ userId, connectionId: name.slice(LIVE_ATTRIBUTE_PREFIX.length), ...entry });
  }
  const { createdAt, lastActiveAt, signedOutAt, blocked, muted, pushDevices } = decode(
    profileItem,
    item,
    'profile',
  );
  const profile: Profile = {
    userId,
    createdAt,
    lastActiveAt,
    signedOutAt: signedOutAt ?? 0,
    blocked: blocked === undefined ? [] : [...blocked],
    muted: muted === undefined ? [] : [...muted],
    pushDevices: pushDevices === undefined ? [] : [...pushDevices],
    ...settingsOf(item),
  };
  return { profile, connections };
}

/**
 * Adds a value to one of the profile's string sets (unless the set is full: at most `max`, a value
 * already there always passes) or deletes it. False when the profile does not exist or the set is full.
 */
export async function updateProfileSet(
  db: DynamoDBDocumentClient,
  tableName: string,
  userId: string,
  change: { attribute: 'blocked' | 'muted'; value: string; present: boolean; max: number },
): Promise<boolean> {
  const { attribute, present } = change;
  const changed = await unlessConditionFails(
    db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: userKey(userId), sk: PROFILE },
        UpdateExpression: `${present ? 'ADD' : 'DELETE'} #set :v`,
        ConditionExpression: present
          ? 'attribute_exists(pk) AND (attribute_not_exists(#set) OR size(#set) < :max OR contains(#set, :id))'
          : 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#set': attribute },
        ExpressionAttributeValues: {
          ':v': new Set([change.value]),
          ...(present && { ':max': change.max, ':id': change.value }),
        },
      }),
    ),
  );
  return changed !== undefined;
}

function toConnection(item: Record<string, unknown>): Connection {
  return decode(connectionItem, item, 'connection');
}

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
            expiryShard: expiryShardOf(connection.connectionId),
            expiresAt: connectionTtlSeconds(connection),
          },
        }),
      ),
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(connection.userId), sk: PROFILE },
          UpdateExpression:
            'SET userId = :u, createdAt = if_not_exists(createdAt, :now), lastActiveAt = :now, #c = :c',
          ExpressionAttributeNames: { '#c': liveKey(connection.connectionId) },
          ExpressionAttributeValues: {
            ':u': connection.userId,
            ':now': connection.connectedAt,
            ':c': {
              deviceId: connection.deviceId,
              connectedAt: connection.connectedAt,
              freshUntil: connection.freshUntil,
            },
          },
        }),
      ),
    ]);
  }

  async removeConnection(
    userId: string,
    connectionId: string,
    when?: Removal,
  ): Promise<Connection | undefined> {
    // The copy goes first: it holds the freshness a racing heartbeat moves, so its condition decides.
    const profile = await this.removeCopy(userId, connectionId, when);
    const lapsedAt = when && 'ifLapsedAt' in when ? when.ifLapsedAt : undefined;
    // Refused for the sweeper: a heartbeat kept it. Otherwise refused only without a profile (a connect
    // whose profile write failed), and the connection item goes all the same.
    if (!profile && lapsedAt !== undefined) return undefined;
    const removed = await unlessConditionFails(
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: CONNECTION_PREFIX + connectionId },
          // A heartbeat that found its copy gone stores the connection again, fresh: that record stays.
          ...(lapsedAt !== undefined && {
            ConditionExpression: 'freshUntil <= :now',
            ExpressionAttributeValues: { ':now': lapsedAt },
          }),
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    if (!removed?.Attributes) return undefined;
    const stored = toConnection(removed.Attributes);
    const copy = profile?.[liveKey(connectionId)];
    if (typeof copy !== 'object' || copy === null) return stored;
    const { freshUntil } = decode(liveConnectionEntry, copy as Record<string, unknown>, 'profile copy');
    return { ...stored, freshUntil };
  }

  /** Removes the profile's copy of a connection; the profile's old attributes, or undefined when refused. */
  private async removeCopy(
    userId: string,
    connectionId: string,
    when: Removal | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    const remove = async (condition: string, values?: Record<string, number>, set = '') => {
      const result = await unlessConditionFails(
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: userKey(userId), sk: PROFILE },
            UpdateExpression: `REMOVE #c${set}`,
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#c': liveKey(connectionId) },
            ...(values && { ExpressionAttributeValues: values }),
            ReturnValues: 'UPDATED_OLD',
          }),
        ),
      );
      return result && (result.Attributes ?? {});
    };
    if (when && 'ifLapsedAt' in when) {
      return remove('attribute_exists(pk) AND (attribute_not_exists(#c) OR #c.freshUntil <= :now)', {
        ':now': when.ifLapsedAt,
      });
    }
    // A clean disconnect of a fresh connection is activity: the same write records it.
    const active =
      when && (await remove('#c.freshUntil > :at', { ':at': when.activeAt }, ' SET lastActiveAt = :at'));
    return active ?? remove('attribute_exists(pk)');
  }

  async refreshConnection(
    userId: string,
    connectionId: string,
    freshUntil: number,
    now: number,
  ): Promise<boolean> {
    const refreshed = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: PROFILE },
          UpdateExpression: 'SET lastActiveAt = :now, #c.freshUntil = :f',
          // A copy that lapsed (or went) is not revived here: the caller stores the connection again.
          ConditionExpression: '#c.freshUntil > :now',
          ExpressionAttributeNames: { '#c': liveKey(connectionId) },
          ExpressionAttributeValues: { ':now': now, ':f': freshUntil },
        }),
      ),
    );
    return refreshed !== undefined;
  }

  setBlocked(userId: string, targetId: string, blocked: boolean): Promise<boolean> {
    return updateProfileSet(this.db, this.tableName, userId, {
      attribute: 'blocked',
      value: targetId,
      present: blocked,
      max: LIMITS.maxBlockedUsers,
    });
  }

  async recordSignOut(userId: string, at: number): Promise<void> {
    await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: PROFILE },
          UpdateExpression: 'SET signedOutAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': at },
        }),
      ),
    );
  }

  async getUser(userId: string, now: number): Promise<UserState> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userKey(userId), sk: PROFILE },
        ConsistentRead: true,
      }),
    );
    return toUserState(userId, result.Item, now);
  }

  async getUsers(userIds: readonly string[], now: number): Promise<Map<string, UserState>> {
    const unique = [...new Set(userIds)];
    const items = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < unique.length; start += BATCH_GET_MAX) {
      const keys = unique.slice(start, start + BATCH_GET_MAX).map((id) => ({ pk: userKey(id), sk: PROFILE }));
      for (const item of await batchGetAll(this.db, this.tableName, keys))
        items.set(decode(profileItem, item, 'profile').userId, item);
    }
    return new Map(unique.map((id) => [id, toUserState(id, items.get(id), now)]));
  }

  async updateSettings(userId: string, changes: Partial<Settings>): Promise<Settings> {
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    const key = { pk: userKey(userId), sk: PROFILE };
    if (given.length === 0) {
      const result = await this.db.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      return settingsOf(result.Item ?? {});
    }
    const result = await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: `SET ${given.map((_, i) => `#n${i} = :v${i}`).join(', ')}`,
        // Settings belong to a user who signed in; never create a profile without one.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: Object.fromEntries(given.map(([name], i) => [`#n${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(given.map(([, value], i) => [`:v${i}`, value])),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return settingsOf(result.Attributes ?? {});
  }

  async addWatchers(viewerId: string, targetIds: readonly string[], freshUntil: number): Promise<void> {
    await Promise.all(
      targetIds.map((targetId) =>
        this.db.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: userKey(targetId),
              sk: WATCHER_PREFIX + viewerId,
              viewerId,
              freshUntil,
              expiresAt: ttlSeconds(freshUntil),
            },
          }),
        ),
      ),
    );
  }

  async watchersOf(userId: string, now: number, limit: number): Promise<string[]> {
    const watchers: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :w)',
          FilterExpression: 'freshUntil > :now',
          ExpressionAttributeValues: { ':pk': userKey(userId), ':w': WATCHER_PREFIX, ':now': now },
          ProjectionExpression: 'viewerId',
          // A subscriber who just asked expects the next change.
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) watchers.push(decode(watcherItem, item, 'watcher').viewerId);
      startKey = page.LastEvaluatedKey;
    } while (startKey && watchers.length < limit);
    return watchers.slice(0, limit);
  }

  async expiredConnections(now: number): Promise<Connection[]> {
    const shards = await Promise.all(
      Array.from({ length: EXPIRY_SHARDS }, async (_, shard) => {
        const found: Connection[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: BY_EXPIRY,
              KeyConditionExpression: 'expiryShard = :s AND freshUntil < :now',
              ExpressionAttributeValues: { ':s': shardKey(shard), ':now': now },
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of page.Items ?? []) found.push(toConnection(item));
          startKey = page.LastEvaluatedKey;
        } while (startKey);
        return found;
      }),
    );
    return shards.flat();
  }
}
