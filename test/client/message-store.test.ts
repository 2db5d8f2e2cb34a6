import { describe, expect, it } from 'vitest';
import { MessageStore, statusFor } from '../../client/message-store';
import type { ChatMessage } from '../../contract/protocol/frames';

const conversationId = 'alice:bob';

function message(seq: number, from = 'bob'): ChatMessage {
  return {
    conversationId,
    seq,
    messageId: `m${seq}`,
    from,
    to: from === 'bob' ? 'alice' : 'bob',
    text: `text ${seq}`,
    sentAt: 1000 + seq,
  };
}

const seqs = (store: MessageStore) => store.messages(conversationId).map((m) => m.seq);

describe('MessageStore', () => {
  it('orders messages by seq whatever order they arrive in', () => {
    const store = new MessageStore('alice');
    store.add([message(3), message(1)], 'push');
    store.add([message(2)], 'push');
    expect(seqs(store)).toEqual([1, 2, 3]);
  });

  it('drops a message it already holds and reports only new ones as added', () => {
    const store = new MessageStore('alice');
    store.add([message(1), message(2)], 'push');
    const added = store.add([message(2), message(3)], 'sync');
    expect(added.map((m) => m.seq)).toEqual([3]);
    expect(seqs(store)).toEqual([1, 2, 3]);
  });

  it('keeps conversations apart', () => {
    const store = new MessageStore('alice');
    store.add([message(1), { ...message(1), conversationId: 'alice:carol', from: 'carol' }], 'push');
    expect(store.messages(conversationId)).toHaveLength(1);
    expect(store.messages('alice:carol')).toHaveLength(1);
  });

  it('keeps no status field from history: the status follows the watermarks', () => {
    const store = new MessageStore('alice');
    store.add([{ ...message(1, 'alice'), status: 'sent' }], 'latest-page');
    expect(store.messages(conversationId)[0]).not.toHaveProperty('status');
  });

  describe('delivered receipts', () => {
    it('owes nothing for pushed messages until it knows where the run starts', () => {
      const store = new MessageStore('alice');
      store.add([message(5)], 'push');
      expect(store.deliveredToReport(conversationId)).toBeUndefined();
    });

    it('starts the run before the first message of a sync batch', () => {
      const store = new MessageStore('alice');
      store.add([message(41), message(42)], 'sync');
      expect(store.deliveredToReport(conversationId)).toBe(42);
    });

    it('covers only the hole-free run, then the rest once the hole is filled', () => {
      const store = new MessageStore('alice');
      store.add([message(1), message(2), message(4)], 'sync');
      expect(store.deliveredToReport(conversationId)).toBe(2);
      expect(store.gapAfter(conversationId)).toBe(2);
      store.add([message(3)], 'push');
      expect(store.deliveredToReport(conversationId)).toBe(4);
      expect(store.gapAfter(conversationId)).toBeUndefined();
    });

    it('after the sync completed, starts the run at the first message pushed', () => {
      const store = new MessageStore('alice');
      store.settle();
      store.add([message(7)], 'push');
      expect(store.deliveredToReport(conversationId)).toBe(7);
    });

    it('on settling, starts the run at the lowest message pushed during the sync', () => {
      const store = new MessageStore('alice');
      store.add([message(8), message(7)], 'push');
      store.settle();
      expect(store.deliveredToReport(conversationId)).toBe(8);
    });

    it('does not start a run from a push on a new connection before its sync completed', () => {
      const store = new MessageStore('alice');
      store.settle();
      store.unsettle();
      store.add([message(9)], 'push');
      expect(store.deliveredToReport(conversationId)).toBeUndefined();
    });

    it('owes no receipt for a run of our own messages', () => {
      const store = new MessageStore('alice');
      store.settle();
      store.add([message(1, 'alice'), message(2, 'alice')], 'push');
      expect(store.deliveredToReport(conversationId)).toBeUndefined();
      store.add([message(3)], 'push');
      expect(store.deliveredToReport(conversationId)).toBe(3);
    });

    it('owes a receipt for our own messages when a sync delivers them, even ones it already held', () => {
      const store = new MessageStore('alice');
      store.add([message(1, 'alice')], 'push');
      store.add([message(1, 'alice'), message(2, 'alice')], 'sync');
      expect(store.deliveredToReport(conversationId)).toBe(2);
    });

    it('owes nothing once the server accepted a receipt that covers the run', () => {
      const store = new MessageStore('alice');
      store.add([message(1), message(2)], 'sync');
      store.reported(conversationId, 'delivered', 2);
      expect(store.deliveredToReport(conversationId)).toBeUndefined();
      store.add([message(3)], 'push');
      expect(store.deliveredToReport(conversationId)).toBe(3);
    });

    it('counts a "seen" as "delivered"', () => {
      const store = new MessageStore('alice');
      store.add([message(1), message(2)], 'sync');
      store.reported(conversationId, 'seen', 2);
      expect(store.deliveredToReport(conversationId)).toBeUndefined();
      expect(store.seenUpTo(conversationId)).toBe(2);
    });

    it('takes the newest page of history as held from its first message', () => {
      const store = new MessageStore('alice');
      store.add([message(12), message(11), message(10)], 'latest-page');
      expect(store.deliveredToReport(conversationId)).toBe(12);
    });

    it('starts the run at zero for a conversation whose newest page is empty', () => {
      const store = new MessageStore('alice');
      store.markEmpty(conversationId);
      store.add([message(2), message(1)], 'push');
      expect(store.deliveredToReport(conversationId)).toBe(2);
    });
  });

  describe('status', () => {
    it('gives our messages the status of the peer receipts, which never move back', () => {
      const store = new MessageStore('alice');
      store.add([message(1, 'alice'), message(2, 'alice'), message(3, 'alice')], 'push');
      store.setPeerReceipts(conversationId, { delivered: 2, seen: 1 });
      store.setPeerReceipts(conversationId, { delivered: 1, seen: 0 });
      expect(store.messages(conversationId).map((m) => store.statusOf(m))).toEqual([
        'seen',
        'delivered',
        'sent',
      ]);
    });

    it('shows no "seen" when read receipts are off', () => {
      const store = new MessageStore('alice');
      store.add([message(1, 'alice')], 'push');
      store.setPeerReceipts(conversationId, { delivered: 1, seen: 1 });
      store.setPeerReceipts(conversationId, { delivered: 1, seen: null });
      expect(store.statusOf(message(1, 'alice'))).toBe('delivered');
    });

    it('counts a reply from the peer as "seen" of everything before it, unless read receipts are off', () => {
      const store = new MessageStore('alice');
      store.add([message(1, 'alice'), message(2, 'alice'), message(4, 'alice')], 'push');
      store.setPeerReceipts(conversationId, { delivered: 1, seen: 0 });
      store.add([message(3)], 'push');
      expect([1, 2, 4].map((seq) => store.statusOf(message(seq, 'alice')))).toEqual(['seen', 'seen', 'sent']);
      store.setPeerReceipts(conversationId, { delivered: 1, seen: null });
      expect(store.statusOf(message(2, 'alice'))).toBe('delivered');
    });

    it('takes our "seen" watermark from history statuses of received messages', () => {
      const store = new MessageStore('alice');
      store.add(
        [
          { ...message(4), status: 'seen' },
          { ...message(5), status: 'delivered' },
        ],
        'latest-page',
      );
      expect(store.seenUpTo(conversationId)).toBe(4);
    });
  });
});

describe('statusFor', () => {
  it('follows docs/protocol.md: seen if seq <= seen, else delivered if seq <= delivered', () => {
    const receipts = { delivered: 42, seen: 40 };
    expect([40, 41, 42, 43].map((seq) => statusFor(seq, receipts))).toEqual([
      'seen',
      'delivered',
      'delivered',
      'sent',
    ]);
  });
});
