import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UploadSlot, UploadSlotStore } from '../../core/ports';
import { unlessConditionFails } from './client';
import { decode, uploadSlotItem } from './items';

/** Slots live in their owner's partition of the users table, so nobody else's id can ever find one. */
const userKey = (userId: string) => `user#${userId}`;
const slotKey = (uploadId: string) => `upload#${uploadId}`;
/** An unused slot's record is collected a day after it can no longer be used, like its staging object. */
const UNUSED_SLOT_TTL_MS = 24 * 60 * 60 * 1000;

function toSlot(item: Record<string, unknown>): UploadSlot {
  const { uploadExpiresAt, ...slot } = decode(uploadSlotItem, item, 'upload slot');
  return { ...slot, expiresAt: uploadExpiresAt };
}

export class DynamoUploadSlotStore implements UploadSlotStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(slot: UploadSlot): Promise<void> {
    const { expiresAt, ...rest } = slot;
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: userKey(slot.userId),
          sk: slotKey(slot.uploadId),
          ...rest,
          // The table's TTL attribute is `expiresAt`, in seconds; the POST's expiry keeps its own name.
          uploadExpiresAt: expiresAt,
          expiresAt: Math.ceil((slot.claimableUntil + UNUSED_SLOT_TTL_MS) / 1000),
        },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
  }

  async get(userId: string, uploadId: string): Promise<UploadSlot | undefined> {
    const result = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: userKey(userId), sk: slotKey(uploadId) },
        ConsistentRead: true,
      }),
    );
    return result.Item ? toSlot(result.Item) : undefined;
  }

  async claim(userId: string, uploadId: string, claimant: string, size: number): Promise<boolean> {
    const claimed = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: userKey(userId), sk: slotKey(uploadId) },
          // A claimed slot is kept for life (no TTL): it answers a retry of its message with that message.
          UpdateExpression: 'SET claimedBy = :c, #size = :size REMOVE expiresAt',
          ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(claimedBy) OR claimedBy = :c)',
          ExpressionAttributeNames: { '#size': 'size' },
          ExpressionAttributeValues: { ':c': claimant, ':size': size },
        }),
      ),
    );
    return claimed !== undefined;
  }
}
