import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_MS } from '../../contract/rate-limits';
import { DynamoRateCounter } from '../../lambdas/adapters/dynamodb/rate-counter';
import { localTableName } from '../../local/provision';
import { ENGINES, useStoreServer } from '../support/store-server';

describe.each(ENGINES)('rate counter on %s', (engine) => {
  const server = useStoreServer(engine);
  const limit = { perUser: 30, perConnection: 20 };
  const now = 7 * RATE_WINDOW_MS + 1_234;

  it('holds across instances: two counters (two Lambda instances) admit the limit together, not each', async () => {
    // Each counter stands for the state one instance would have; only the table is shared.
    const instances = [0, 1].map(() => new DynamoRateCounter(server.db(), localTableName('users')));
    const verdicts = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        instances[i % 2]?.take({ userId: 'ann', connectionId: `C${i % 3}=` }, 'send', 1, limit, now),
      ),
    );
    expect(verdicts.filter((verdict) => verdict?.admitted)).toHaveLength(limit.perUser);
    expect(verdicts.find((verdict) => !verdict?.admitted)).toEqual({
      admitted: false,
      retryAfterMs: RATE_WINDOW_MS - 1_234,
    });
  });

  it('limits one connection below the user, and starts again in the next window', async () => {
    const counter = new DynamoRateCounter(server.db(), localTableName('users'));
    const take = (connectionId: string, at: number) =>
      counter.take({ userId: 'bo', connectionId }, 'send', 1, limit, at);
    const first = await Promise.all(Array.from({ length: 25 }, () => take('A=', now)));
    expect(first.filter((verdict) => verdict.admitted)).toHaveLength(limit.perConnection);
    expect(await take('B=', now)).toEqual({ admitted: true });
    expect(await take('A=', now + RATE_WINDOW_MS)).toEqual({ admitted: true });
  });

  it('counts units: a presence frame of 50 names takes 50', async () => {
    const counter = new DynamoRateCounter(server.db(), localTableName('users'));
    const presence = { perUser: 150, perConnection: 100 };
    const take = () => counter.take({ userId: 'cy', connectionId: 'A=' }, 'presence', 50, presence, now);
    expect([await take(), await take(), await take()].map((verdict) => verdict.admitted)).toEqual([
      true,
      true,
      false,
    ]);
  });
});
