import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../lambdas/adapters/dynamodb/conversations';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamodb/messages';
import { DynamoUserStore } from '../../lambdas/adapters/dynamodb/users';
import { storeMessage } from '../../lambdas/core/messaging';
import type { StoredMessage } from '../../lambdas/core/ports';
import { localTableName } from '../../local/provision';
import { ENGINES, useStoreServer } from '../support/store-server';

describe.each(ENGINES)('stores on %s', (engine) => {
  const server = useStoreServer(engine);
  let db: DynamoDBDocumentClient;
  let users: DynamoUserStore;
  let messages: DynamoMessageStore;
  let conversations: DynamoConversationStore;

  beforeAll(() => {
    db = server.db();
    users = new DynamoUserStore(db, localTableName('users'));
    messages = new DynamoMessageStore(db, localTableName('messages'));
    conversations = new DynamoConversationStore(db, localTableName('conversations'));
  });

  const draft = (messageId: string, text = 'hi'): Omit<StoredMessage, 'seq'> => ({
    conversationId: 'ann:ben',
    messageId,
    from: 'ann',
    to: 'ben',
    text,
    sentAt: 1_000,
  });

  it('numbers 30 concurrent messages 1..30 without gaps or repeats', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => storeMessage(messages, draft(`c${i}`))),
    );
    expect(results.map((r) => r.message.seq).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    expect(await messages.lastSeq('ann:ben')).toBe(30);
  });

  it('stores a message once when the same id is stored concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () => storeMessage(messages, draft('same-id'))),
    );
    expect(new Set(results.map((r) => r.message.seq)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    expect(await messages.findByMessageId('ann:ben', 'same-id')).toMatchObject({ text: 'hi' });
  });

  it('reports an empty conversation as sequence 0 and an unknown id as absent', async () => {
    expect(await messages.lastSeq('nobody:none')).toBe(0);
    expect(await messages.findByMessageId('ann:ben', 'never-sent')).toBeUndefined();
  });

  it('returns only fresh connections, with the profile, in one read', async () => {
    expect((await users.getUser('cleo', 5_000)).profile).toBeUndefined();
    await users.addConnection({
      userId: 'cleo',
      connectionId: 'A=',
      deviceId: 'd1',
      connectedAt: 1_000,
      freshUntil: 10_000,
    });
    await users.addConnection({
      userId: 'cleo',
      connectionId: 'B=',
      deviceId: 'd2',
      connectedAt: 1_000,
      freshUntil: 4_000,
    });
    const state = await users.getUser('cleo', 5_000);
    expect(state.profile).toMatchObject({ userId: 'cleo', createdAt: 1_000, lastActiveAt: 1_000 });
    expect(state.connections.map((c) => c.connectionId)).toEqual(['A=']);
  });

  it('reads several users at once, each with its fresh connections, and unknown users as absent', async () => {
    await users.addConnection({
      userId: 'kit',
      connectionId: 'K1=',
      deviceId: 'd1',
      connectedAt: 1_000,
      freshUntil: 9_000,
    });
    await users.addConnection({
      userId: 'kit',
      connectionId: 'K2=',
      deviceId: 'd2',
      connectedAt: 1_000,
      freshUntil: 2_000,
    });
    await users.addConnection({
      userId: 'lia',
      connectionId: 'L1=',
      deviceId: 'd1',
      connectedAt: 1_000,
      freshUntil: 9_000,
    });
    await users.removeConnection('lia', 'L1=');
    const found = await users.getUsers(['kit', 'lia', 'nobody', 'kit'], 5_000);
    expect([...found.keys()].sort()).toEqual(['kit', 'lia', 'nobody']);
    expect(found.get('kit')?.connections.map((c) => c.connectionId)).toEqual(['K1=']);
    expect(found.get('kit')?.connections[0]).toEqual({
      userId: 'kit',
      connectionId: 'K1=',
      deviceId: 'd1',
      connectedAt: 1_000,
      freshUntil: 9_000,
    });
    expect(found.get('lia')).toMatchObject({ profile: { userId: 'lia' }, connections: [] });
    expect(found.get('nobody')).toEqual({ profile: undefined, connections: [] });
  });

  it('refreshes a live connection and refuses to refresh an expired or removed one', async () => {
    await users.addConnection({
      userId: 'dina',
      connectionId: 'C=',
      deviceId: 'd1',
      connectedAt: 1_000,
      freshUntil: 3_000,
    });
    expect(await users.refreshConnection('dina', 'C=', 9_000, 2_000)).toBe(true);
    expect((await users.getUser('dina', 8_000)).connections).toHaveLength(1);
    expect((await users.getUser('dina', 8_000)).profile?.lastActiveAt).toBe(2_000);
    expect(await users.refreshConnection('dina', 'C=', 20_000, 9_500)).toBe(false);
    await users.removeConnection('dina', 'C=');
    expect(await users.refreshConnection('dina', 'C=', 20_000, 1_000)).toBe(false);
    expect((await users.getUser('dina', 1_000)).connections).toEqual([]);
  });

  it('reads several conversation heads at once, leaving out those that do not exist', async () => {
    const message = (conversationId: string, seq: number): StoredMessage => ({
      ...draft(`g${conversationId}${seq}`),
      conversationId,
      seq,
    });
    await conversations.recordMessage(message('gia:hal', 3));
    await conversations.recordMessage(message('gia:ian', 1));
    const heads = await conversations.getMany(['gia:hal', 'gia:ian', 'gia:nobody']);
    expect([...heads.keys()].sort()).toEqual(['gia:hal', 'gia:ian']);
    expect(heads.get('gia:hal')).toMatchObject({ lastSeq: 3, lo: { userId: 'gia' }, hi: { userId: 'hal' } });
  });

  it('lists by the last message even when its activity has not moved since, and pages after it', async () => {
    const message = (conversationId: string, seq: number, sentAt: number): StoredMessage => ({
      ...draft(`k${conversationId}${seq}`),
      conversationId,
      seq,
      sentAt,
    });
    await conversations.recordMessage(message('kim:lee', 1, 1_000));
    await conversations.recordMessage(message('kim:max', 1, 2_000));
    // Within the window: the index still orders kim:lee by its first message.
    await conversations.recordMessage(message('kim:lee', 2, 3_000), { rekey: false });
    const first = await conversations.listForUser('kim', 1);
    expect(first.conversations.map((head) => head.conversationId)).toEqual(['kim:lee']);
    expect(first.hasMore).toBe(true);
    const next = await conversations.listForUser('kim', 1, first.conversations[0]?.activity);
    expect(next.conversations.map((head) => head.conversationId)).toEqual(['kim:max']);
    const both = await conversations.listForUser('kim', 5);
    expect(both.conversations.map((head) => head.conversationId)).toEqual(['kim:lee', 'kim:max']);
    expect(both.hasMore).toBe(false);
  });

  it('moves the conversation head forward only', async () => {
    const message = (seq: number): StoredMessage => ({
      ...draft(`h${seq}`),
      conversationId: 'eve:fay',
      seq,
      sentAt: seq,
    });
    await conversations.recordMessage(message(2));
    await conversations.recordMessage(message(1));
    const head = await db.send(
      new GetCommand({ TableName: localTableName('conversations'), Key: { conversationId: 'eve:fay' } }),
    );
    expect(head.Item).toMatchObject({
      userLo: 'eve',
      userHi: 'fay',
      lastSeq: 2,
      lastMessage: { messageId: 'h2' },
    });
  });
});
