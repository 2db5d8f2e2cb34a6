import { describe, expect, it } from 'vitest';
import { ChatError } from '../../contract/protocol/errors';
import { conversationIdOf, participantsOf } from '../../contract/protocol/ids';
import { InstanceCache } from '../../lambdas/core/instance-cache';
import { KeyedQueue } from '../../lambdas/core/keyed-queue';
import { storeMessage } from '../../lambdas/core/messaging';
import type { MessageStore, StoredMessage } from '../../lambdas/core/ports';

type SequencingStore = Pick<MessageStore, 'lastSeq' | 'findByMessageId' | 'putIfSeqFree'>;

/** An in-memory store whose `intruder` writes a message of another sender between our reads and our put. */
function memoryStore(
  intruder?: (store: Map<number, StoredMessage>) => void,
): SequencingStore & { items: Map<number, StoredMessage> } {
  const items = new Map<number, StoredMessage>();
  return {
    items,
    lastSeq: async () => Math.max(0, ...items.keys()),
    findByMessageId: async (_c, messageId) => [...items.values()].find((m) => m.messageId === messageId),
    putIfSeqFree: async (message) => {
      intruder?.(items);
      if (items.has(message.seq)) return false;
      items.set(message.seq, message);
      return true;
    },
  };
}

const draft = { conversationId: 'a:b', messageId: 'm1', from: 'a', to: 'b', text: 'hi', sentAt: 5 };

describe('conversation ids', () => {
  it('name a pair the same way from both sides', () => {
    expect(conversationIdOf('bob', 'alice')).toBe('alice:bob');
    expect(conversationIdOf('alice', 'bob')).toBe('alice:bob');
    expect(participantsOf('alice:bob')).toEqual({ lo: 'alice', hi: 'bob' });
  });

  it.each(['alice', 'bob:alice', 'a:b:c', ':a', 'a:a'])('reject the malformed id %s', (id) => {
    expect(participantsOf(id)).toBeUndefined();
  });
});

describe('storeMessage', () => {
  it('stores at the next number', async () => {
    const store = memoryStore();
    expect(await storeMessage(store, draft)).toEqual({ message: { ...draft, seq: 1 }, duplicate: false });
  });

  it('moves to the next free number when another writer takes ours', async () => {
    let intrusions = 0;
    const store = memoryStore((items) => {
      if (intrusions++ < 2)
        items.set(items.size + 1, { ...draft, messageId: `other${intrusions}`, seq: items.size + 1 });
    });
    const { message } = await storeMessage(store, draft);
    expect(message.seq).toBe(3);
    expect([...store.items.keys()].sort()).toEqual([1, 2, 3]);
  });

  it('starts after a number known to be taken without reading the last one', async () => {
    const store = memoryStore();
    let reads = 0;
    const counting = {
      ...store,
      lastSeq: (c: string) => {
        reads++;
        return store.lastSeq(c);
      },
    };
    store.items.set(1, { ...draft, messageId: 'first', seq: 1 });
    expect((await storeMessage(counting, draft, { lastSeq: 1 })).message.seq).toBe(2);
    expect(reads).toBe(0);
  });

  it('uses a lookup made while reading the last number when the number known before it is the last', async () => {
    const store = memoryStore();
    let lookups = 0;
    const counting = {
      ...store,
      findByMessageId: (c: string, m: string) => {
        lookups++;
        return store.findByMessageId(c, m);
      },
    };
    store.items.set(1, { ...draft, messageId: 'first', seq: 1 });
    const start = { lastSeq: 1, lookup: { after: 1, existing: undefined } };
    expect((await storeMessage(counting, draft, start)).message.seq).toBe(2);
    expect(lookups).toBe(0);
  });

  it('looks again when the last number moved past the one known before the lookup', async () => {
    const store = memoryStore();
    // Stored after the early lookup, before the last number was read: the early lookup missed it.
    store.items.set(1, { ...draft, messageId: 'first', seq: 1 });
    store.items.set(2, { ...draft, seq: 2 });
    const start = { lastSeq: 2, lookup: { after: 1, existing: undefined } };
    expect(await storeMessage(store, draft, start)).toEqual({
      message: { ...draft, seq: 2 },
      duplicate: true,
    });
    expect([...store.items.keys()].sort()).toEqual([1, 2]);
  });

  it('answers an early lookup that found the message without writing', async () => {
    const store = memoryStore(() => {
      throw new Error('no put expected');
    });
    const stored = { ...draft, seq: 7 };
    const start = { lastSeq: 9, lookup: { after: 3, existing: stored } };
    expect(await storeMessage(store, draft, start)).toEqual({ message: stored, duplicate: true });
  });

  it('moves past a stale known number to the real end', async () => {
    const store = memoryStore();
    for (const seq of [1, 2, 3]) store.items.set(seq, { ...draft, messageId: `other${seq}`, seq });
    expect((await storeMessage(store, draft, { lastSeq: 1 })).message.seq).toBe(4);
    expect([...store.items.keys()].sort()).toEqual([1, 2, 3, 4]);
  });

  it('returns the stored message for a repeated id', async () => {
    const store = memoryStore();
    await storeMessage(store, draft);
    expect(await storeMessage(store, draft)).toEqual({ message: { ...draft, seq: 1 }, duplicate: true });
    expect(store.items.size).toBe(1);
  });

  it('refuses a repeated id with other content', async () => {
    const store = memoryStore();
    await storeMessage(store, draft);
    await expect(storeMessage(store, { ...draft, text: 'changed' })).rejects.toEqual(
      new ChatError('MESSAGE_ID_REUSED', 'This messageId was already used for a different message'),
    );
  });

  it('gives up with BUSY under endless contention', async () => {
    const store = memoryStore((items) =>
      items.set(items.size + 1, { ...draft, messageId: `x${items.size}`, seq: items.size + 1 }),
    );
    await expect(storeMessage(store, draft)).rejects.toMatchObject({ code: 'BUSY' });
  });
});

describe('KeyedQueue', () => {
  it('runs tasks of one key in order and of different keys side by side', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string, ms: number) => () =>
      new Promise<string>((resolve) =>
        setTimeout(() => {
          log.push(name);
          resolve(name);
        }, ms),
      );
    const results = await Promise.all([
      queue.run('a', task('a1', 30)),
      queue.run('a', task('a2', 1)),
      queue.run('b', task('b1', 10)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });

  it('goes on with the next task after one fails', async () => {
    const queue = new KeyedQueue();
    const failed = queue.run('a', () => Promise.reject(new Error('boom')));
    const next = queue.run('a', () => Promise.resolve('ok'));
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
  });
});

describe('InstanceCache', () => {
  it('remembers up to its bound, then forgets everything at once', () => {
    const cache = new InstanceCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    expect([cache.get('a'), cache.get('b')]).toEqual([3, 2]);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, undefined, 4]);
  });
});
