import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { MessagePageQuery, MessageStore, StoredMessage } from '../../core/ports';
import { count } from '../observability/telemetry';
import { unlessConditionFails } from './client';
import { decode, messageItem, seqItem } from './items';

const BY_MESSAGE_ID = 'byMessageId';

/** A message as stored, with its media's key (the download URL is made fresh for each reader). */
export function toStoredMessage(item: Record<string, unknown>): StoredMessage {
  return decode(messageItem, item, 'message');
}

export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async lastSeq(conversationId: string): Promise<number> {
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'conversationId = :c',
        ExpressionAttributeValues: { ':c': conversationId },
        ProjectionExpression: 'seq',
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? decode(seqItem, item, 'message').seq : 0;
  }

  async findByMessageId(conversationId: string, messageId: string): Promise<StoredMessage | undefined> {
    // A local index (unlike a global one) can be read strongly consistently, which the idempotency check needs.
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_MESSAGE_ID,
        KeyConditionExpression: 'conversationId = :c AND messageId = :m',
        ExpressionAttributeValues: { ':c': conversationId, ':m': messageId },
        ConsistentRead: true,
      }),
    );
    const item = result.Items?.[0];
    return item ? toStoredMessage(item) : undefined;
  }

  async putIfSeqFree(message: StoredMessage): Promise<boolean> {
    const stored = await unlessConditionFails(
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: message,
          ConditionExpression: 'attribute_not_exists(seq)',
        }),
      ),
    );
    if (!stored) count('SequenceConflicts');
    return stored !== undefined;
  }

  async page(query: MessagePageQuery): Promise<{ messages: StoredMessage[]; hasMore: boolean }> {
    const from = query.after + 1;
    const to = (query.before ?? Number.MAX_SAFE_INTEGER) - 1;
    // DynamoDB refuses a BETWEEN whose bounds are reversed; nothing lies between them anyway.
    if (from > to) return { messages: [], hasMore: false };
    const result = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'conversationId = :c AND seq BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':c': query.conversationId,
          ':from': from,
          ':to': to,
        },
        ScanIndexForward: query.order === 'asc',
        // One more than asked tells whether more lie beyond, without a second request.
        Limit: query.limit + 1,
        ConsistentRead: true,
      }),
    );
    const items = result.Items ?? [];
    return {
      messages: items.slice(0, query.limit).map(toStoredMessage),
      hasMore: items.length > query.limit,
    };
  }
}
