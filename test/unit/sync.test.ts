import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../contract/protocol/frames';
import type { ConversationHead, MessagePageQuery, PostResult, StoredMessage } from '../../lambdas/core/ports';
import { type SyncDeps, syncDevice } from '../../lambdas/core/sync';

const message = (seq: number): StoredMessage => ({
  conversationId: 'amy:bo',
  seq,
  messageId: `m${seq}`,
  from: 'bo',
  to: 'amy',
  text: `text ${seq}`,
  sentAt: seq,
});

const head = (lastSeq: number): ConversationHead => ({
  conversationId: 'amy:bo',
  lastSeq,
  lastMessage: message(lastSeq),
  activity: `${String(lastSeq).padStart(15, '0')}#amy:bo`,
  lo: { userId: 'amy', delivered: 0, seen: 0, cleared: 0, sent: false },
  hi: { userId: 'bo', delivered: lastSeq, seen: lastSeq, cleared: 0, sent: true },
});

describe('syncDevice', () => {
  it('trusts the consistent head over the lagging list: a message just stored is not skipped', async () => {
    const stored = [message(1), message(2), message(3)];
    const posted: ServerEvent[] = [];
    const devices: SyncDeps['devices'] = {
      lastSyncAt: async () => 0,
      markSynced: async () => {},
      cursors: async () => new Map([['amy:bo', 2]]),
    };
    const result = await syncDevice(
      {
        // The index still shows message 2 as the last; the table already has message 3.
        conversations: {
          listForUser: async () => ({ conversations: [head(2)], hasMore: false }),
          getMany: async () => new Map([['amy:bo', head(3)]]),
        },
        messages: {
          page: async (query: MessagePageQuery) => ({
            messages: stored.filter((m) => m.seq > query.after),
            hasMore: false,
          }),
        },
        devices,
        notifier: {
          post: async (_connectionId: string, event: ServerEvent): Promise<PostResult> => {
            posted.push(event);
            return 'sent';
          },
          disconnect: async () => {
            throw new Error('a sync never closes a connection');
          },
        },
        clock: { now: () => 1_000_000 },
        links: { downloadUrl: async (media) => `https://media.example/${media.key}` },
        readyTimeoutMs: 0,
        sleep: async () => {},
      },
      { userId: 'amy', deviceId: 'phone', connectionId: 'C1=' },
    );
    expect(result).toEqual({ kind: 'synced', conversations: 1, messages: 1 });
    expect(posted[0]).toEqual({ type: 'sync', conversationId: 'amy:bo', messages: [message(3)] });
  });
});
