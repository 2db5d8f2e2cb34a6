import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RATE_WINDOW_MS, type RateClass, type RateLimit } from '../../../contract/rate-limits';
import type { Caller, RateCounter, RateVerdict } from '../../core/ports';
import { unlessConditionFails } from './client';

/**
 * Fixed-window counters in the user's partition of the users table: one item per user, class and
 * window (`rate#<class>#<window start>`), holding the user's count and one count per connection. One
 * conditional UpdateItem per frame adds to both or, when either would pass its limit, to neither
 * (refused writes are billed too: one write unit either way while the item stays under 1 KB). TTL
 * collects old windows; nothing reads them, since the window is part of the key.
 */
export class DynamoRateCounter implements RateCounter {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async take(
    caller: Pick<Caller, 'userId' | 'connectionId'>,
    rateClass: RateClass,
    units: number,
    limit: RateLimit,
    now: number,
  ): Promise<RateVerdict> {
    const windowStart = now - (now % RATE_WINDOW_MS);
    const windowEnd = windowStart + RATE_WINDOW_MS;
    const taken = await unlessConditionFails(
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `user#${caller.userId}`, sk: `rate#${rateClass}#${windowStart}` },
          UpdateExpression: 'ADD #user :n, #conn :n SET expiresAt = :ttl',
          ConditionExpression:
            '(attribute_not_exists(#user) OR #user <= :userMax) AND (attribute_not_exists(#conn) OR #conn <= :connMax)',
          ExpressionAttributeNames: { '#user': 'count', '#conn': `c_${caller.connectionId}` },
          ExpressionAttributeValues: {
            ':n': units,
            ':userMax': limit.perUser - units,
            ':connMax': limit.perConnection - units,
            // A minute past the window: TTL deletes late anyway, and the key already ends the window.
            ':ttl': Math.ceil(windowEnd / 1000) + 60,
          },
        }),
      ),
    );
    return taken === undefined ? { admitted: false, retryAfterMs: windowEnd - now } : { admitted: true };
  }
}
