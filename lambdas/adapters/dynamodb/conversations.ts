import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod/mini';
import { participantsOf } from '../../../contract/protocol/ids';
import { ACTIVITY_REKEY_MS, activityKey, activityTime } from '../../core/activity';
import type {
  ConversationHead,
  ConversationStore,
  ReceiptOutcome,
  Side,
  SideState,
  StoredMessage,
} from '../../core/ports';
import { BATCH_GET_MAX, batchGetAll } from './batch-get';
import { unlessConditionFails } from './client';
import { conversationItem, decode, listedItem } from './items';

const SUFFIX = { lo: 'Lo', hi: 'Hi' } as const satisfies Record<Side, string>;
/** The sparse index attribute: present while the conversation is on that participant's list. */
const listedAttribute = (side: Side) => `user${SUFFIX[side]}`;
const INDEX: Record<Side, string> = { lo: 'byUserLo', hi: 'byUserHi' };

type ConversationItem = z.infer<typeof conversationItem>;

function sideState(item: ConversationItem, side: Side, userId: string): SideState {
  const suffix = SUFFIX[side];
  const seen = item[`seen${suffix}`] ?? 0;
  return {
    userId,
    // Seen implies delivered; keeping them apart on the item lets each receipt be one conditional write.
    delivered: Math.max(item[`delivered${suffix}`] ?? 0, seen),
    seen,
    cleared: item[`cleared${suffix}`] ?? 0,
    sent: item[`sent${suffix}`] === true,
  };
}

/**
 * The head's place in its lists: the stored `activity` moves at most once per ACTIVITY_REKEY_MS, the
 * last message's time with every message; the later of the two (clocks of senders differ).
 */
function listPosition(item: ConversationItem): string {
  const stored = activityTime(item.activity);
  return activityKey(Math.max(item.lastMessage?.sentAt ?? stored, stored), item.conversationId);
}

function toHead(raw: Record<string, unknown>): ConversationHead {
  const item = decode(conversationItem, raw, 'conversation');
  const participants = participantsOf(item.conversationId);
  if (!participants) throw new Error(`Malformed conversation id ${item.conversationId}`);
  return {
    conversationId: item.conversationId,
    lastSeq: item.lastSeq,
    lastMessage: item.lastMessage,
    activity: listPosition(item),
    indexed: { activity: item.activity, lo: item.userLo !== undefined, hi: item.userHi !== undefined },
    lo: sideState(item, 'lo', participants.lo),
    hi: sideState(item, 'hi', participants.hi),
  };
}

export class DynamoConversationStore implements ConversationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordMessage(message: StoredMessage, options = { rekey: true }): Promise<number> {
    const participants = participantsOf(message.conversationId);
    if (!participants) throw new Error(`Malformed conversation id ${message.conversationId}`);
    // Whoever writes has seen everything before their own message: that keeps unread = lastSeq - seen.
    const senderSuffix = SUFFIX[message.from === participants.lo ? 'lo' : 'hi'];
    const senderSeen = `seen${senderSuffix}`;
    const moved = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { conversationId: message.conversationId },
          UpdateExpression: `SET userLo = :lo, userHi = :hi, lastSeq = :seq, lastMessage = :m, ${
            options.rekey ? 'activity = :activity, ' : ''
          }#seen = :seq, #sent = :true`,
          ReturnValues: 'UPDATED_OLD',
          // Two sends finishing out of order must not move the head backwards.
          ConditionExpression: 'attribute_not_exists(lastSeq) OR lastSeq < :seq',
          ExpressionAttributeNames: { '#seen': senderSeen, '#sent': `sent${senderSuffix}` },
          ExpressionAttributeValues: {
            ':lo': participants.lo,
            ':hi': participants.hi,
            ':seq': message.seq,
            ':m': message,
            ...(options.rekey && { ':activity': activityKey(message.sentAt, message.conversationId) }),
            ':true': true,
          },
        }),
      ),
    );
    if (moved) return Number(moved.Attributes?.[senderSeen] ?? 0);
    await this.moveWatermark(message.conversationId, senderSeen, message.seq, false);
    return 0;
  }

  /** Sets a watermark if it is lower; false when the condition held it back. */
  private async moveWatermark(
    conversationId: string,
    attribute: string,
    upTo: number,
    withinLastSeq: boolean,
  ) {
    const result = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { conversationId },
          UpdateExpression: 'SET #w = :n',
          ConditionExpression: `attribute_exists(conversationId) AND (attribute_not_exists(#w) OR #w < :n)${
            withinLastSeq ? ' AND lastSeq >= :n' : ''
          }`,
          ExpressionAttributeNames: { '#w': attribute },
          ExpressionAttributeValues: { ':n': upTo },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return result?.Attributes ? toHead(result.Attributes) : undefined;
  }

  async get(conversationId: string): Promise<ConversationHead | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { conversationId }, ConsistentRead: true }),
    );
    return result.Item ? toHead(result.Item) : undefined;
  }

  async getMany(conversationIds: readonly string[]): Promise<Map<string, ConversationHead>> {
    const heads = new Map<string, ConversationHead>();
    for (let start = 0; start < conversationIds.length; start += BATCH_GET_MAX) {
      const keys = conversationIds
        .slice(start, start + BATCH_GET_MAX)
        .map((conversationId) => ({ conversationId }));
      for (const item of await batchGetAll(this.db, this.tableName, keys)) {
        const head = toHead(item);
        heads.set(head.conversationId, head);
      }
    }
    return heads;
  }

  async applyReceipt(
    conversationId: string,
    side: Side,
    status: 'delivered' | 'seen',
    upTo: number,
  ): Promise<ReceiptOutcome> {
    const moved = await this.moveWatermark(conversationId, `${status}${SUFFIX[side]}`, upTo, true);
    if (moved) {
      // A "delivered" below the seen watermark moves nothing anyone can observe.
      const changed = status === 'seen' || moved[side].seen < upTo;
      return { kind: changed ? 'moved' : 'unchanged', head: moved };
    }
    // The condition failed: find out which part of it did (dynalite ignores ReturnValuesOnConditionCheckFailure).
    const head = await this.get(conversationId);
    if (!head) return { kind: 'unknown' };
    return { kind: upTo > head.lastSeq ? 'ahead' : 'unchanged', head };
  }

  async hide(conversationId: string, side: Side): Promise<boolean> {
    const suffix = SUFFIX[side];
    const hidden = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { conversationId },
          // Only this side's view changes: the peer's messages are not marked seen (no read ticks for
          // messages nobody read); unread counts from the cleared point instead.
          // Hiding also ends the contact (see presence.ts): both have to write again to be contacts.
          UpdateExpression: `REMOVE ${listedAttribute(side)}, sentLo, sentHi SET cleared${suffix} = lastSeq`,
          ConditionExpression: 'attribute_exists(conversationId)',
        }),
      ),
    );
    return hidden !== undefined;
  }

  async listForUser(
    userId: string,
    limit: number,
    beforeActivity?: string,
  ): Promise<{ conversations: ConversationHead[]; hasMore: boolean }> {
    // The indexes hold keys only and order by the stored activity, which trails a head's position by
    // less than ACTIVITY_REKEY_MS. So each index is read until its next entry is older than the
    // limit-th position found so far by more than that: nothing unread can come before the page's end.
    const sides = (['lo', 'hi'] as const).map((side) => ({
      side,
      startKey: undefined as Record<string, unknown> | undefined,
      exhausted: false,
      lowest: undefined as string | undefined,
    }));
    const heads = new Map<string, ConversationHead>();
    const ordered = () =>
      [...heads.values()]
        .filter((head) => beforeActivity === undefined || head.activity < beforeActivity)
        .sort((a, b) => (a.activity < b.activity ? 1 : a.activity > b.activity ? -1 : 0));
    const mayHoldEarlier = (lowest: string | undefined) => {
      const last = ordered()[limit - 1];
      return (
        !last ||
        lowest === undefined ||
        activityTime(lowest) + ACTIVITY_REKEY_MS > activityTime(last.activity)
      );
    };
    for (;;) {
      const reading = sides.filter((side) => !side.exhausted && mayHoldEarlier(side.lowest));
      if (reading.length === 0) break;
      const pages = await Promise.all(
        reading.map((side) =>
          this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: INDEX[side.side],
              KeyConditionExpression: `#user = :u${beforeActivity === undefined ? '' : ' AND activity < :before'}`,
              ExpressionAttributeNames: { '#user': listedAttribute(side.side) },
              ExpressionAttributeValues: {
                ':u': userId,
                ...(beforeActivity === undefined ? {} : { ':before': beforeActivity }),
              },
              ScanIndexForward: false,
              Limit: limit,
              ExclusiveStartKey: side.startKey,
            }),
          ),
        ),
      );
      const ids: string[] = [];
      reading.forEach((side, i) => {
        const page = pages[i];
        const entries = (page?.Items ?? []).map((item) =>
          decode(listedItem, item, 'conversation index entry'),
        );
        side.startKey = page?.LastEvaluatedKey;
        side.exhausted = side.startKey === undefined;
        side.lowest = entries.at(-1)?.activity ?? side.lowest;
        for (const entry of entries) if (!heads.has(entry.conversationId)) ids.push(entry.conversationId);
      });
      for (const [id, head] of await this.getMany(ids)) heads.set(id, head);
    }
    const all = ordered();
    return {
      conversations: all.slice(0, limit),
      hasMore: all.length > limit || sides.some((side) => !side.exhausted),
    };
  }
}
