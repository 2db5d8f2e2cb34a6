import { describe, expect, it } from 'vitest';
import { sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { type Frame, newMessageId } from '../support/socket';

const harness = useRuntime();
const { openSynced } = harness;

describe('hiding a conversation', () => {
  it("changes nothing the peer can see: the peer's messages are not marked seen", async () => {
    const { socket: rae } = await openSynced('rae', 'r1');
    const { socket: sid } = await openSynced('sid', 's1');
    await sendMany(rae, 'sid', 3);
    expect(await sid.request({ action: 'hideConversation', conversationId: 'rae:sid' })).toMatchObject({
      type: 'ok',
    });

    const raeView = await rae.request({ action: 'getMessages', conversationId: 'rae:sid' });
    expect(raeView.peerReceipts).toEqual({ delivered: 0, seen: 0 });
    expect((raeView.messages as Frame[]).map((m) => m.status)).toEqual(['sent', 'sent', 'sent']);

    // Sid's own view: the hidden messages are gone and not unread; a new one is the only unread.
    await rae.request({ action: 'sendMessage', messageId: newMessageId(), to: 'sid', text: 'still there?' });
    const list = await sid.request({ action: 'listConversations' });
    expect(list.conversations).toMatchObject([{ conversationId: 'rae:sid', lastSeq: 4, unread: 1 }]);
  });
});
