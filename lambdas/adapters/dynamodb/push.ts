import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { PUSH } from '../../../contract/push';
import type { PushStore, StoredPushSubscription } from '../../core/ports';
import { batchGetAll } from './batch-get';
import { unlessConditionFails } from './client';
import { decode, pushSubscriptionItem } from './items';
import { PROFILE, updateProfileSet, userKey } from './users';

const PUSH_PREFIX = 'push#';

/**
 * Push subscriptions, one item per device in the user's partition, and the profile's `pushDevices`
 * that lists them, so that a send knows from the profile it reads anyway whether to push. The item is
 * written first and removed last: a listed device without an item is skipped by the push function, an
 * item without a listing is never read.
 */
export class DynamoPushStore implements PushStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(subscription: StoredPushSubscription): Promise<void> {
    const pk = userKey(subscription.userId);
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk, sk: PUSH_PREFIX + subscription.deviceId, ...subscription },
      }),
    );
    await this.db.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk, sk: PROFILE },
        UpdateExpression: 'ADD pushDevices :d',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':d': new Set([subscription.deviceId]) },
      }),
    );
  }

  async remove(userId: string, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return;
    const pk = userKey(userId);
    await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk, sk: PROFILE },
          UpdateExpression: 'DELETE pushDevices :d',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':d': new Set(deviceIds) },
        }),
      ),
    );
    await Promise.all(
      deviceIds.map((deviceId) =>
        this.db.send(
          new DeleteCommand({ TableName: this.tableName, Key: { pk, sk: PUSH_PREFIX + deviceId } }),
        ),
      ),
    );
  }

  async get(userId: string, deviceIds: readonly string[]): Promise<StoredPushSubscription[]> {
    if (deviceIds.length === 0) return [];
    const pk = userKey(userId);
    const items = await batchGetAll(
      this.db,
      this.tableName,
      deviceIds.map((deviceId) => ({ pk, sk: PUSH_PREFIX + deviceId })),
    );
    return items.map((item) => decode(pushSubscriptionItem, item, 'push subscription'));
  }

  setMuted(userId: string, conversationId: string, muted: boolean): Promise<boolean> {
    return updateProfileSet(this.db, this.tableName, userId, {
      attribute: 'muted',
      value: conversationId,
      present: muted,
      max: PUSH.maxMutedConversations,
    });
  }
}
