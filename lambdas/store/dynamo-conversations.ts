import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../aws/clients';
import { participantsOf } from '../core/ids';
import type { ConversationStore } from '../core/ports';
import type { ChatMessage } from '../protocol/frames';

/** Sorts by time, then by conversation, so that paging by activity never skips a tie. */
export function activityKey(at: number, conversationId: string): string {
  return `${String(at).padStart(15, '0')}#${conversationId}`;
}

export class DynamoConversationStore implements ConversationStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async recordMessage(message: ChatMessage): Promise<void> {
    const participants = participantsOf(message.conversationId);
    if (!participants) throw new Error(`Malformed conversation id ${message.conversationId}`);
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { conversationId: message.conversationId },
          UpdateExpression:
            'SET userLo = :lo, userHi = :hi, lastSeq = :seq, lastMessage = :m, activity = :activity',
          // Two sends finishing out of order must not move the head backwards.
          ConditionExpression: 'attribute_not_exists(lastSeq) OR lastSeq < :seq',
          ExpressionAttributeValues: {
            ':lo': participants.lo,
            ':hi': participants.hi,
            ':seq': message.seq,
            ':m': message,
            ':activity': activityKey(message.sentAt, message.conversationId),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
