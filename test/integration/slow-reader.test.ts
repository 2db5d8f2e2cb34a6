import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../contract/limits';
import { sendMany } from '../support/chat';
import { useRuntime } from '../support/harness';
import { newMessageId, type TestSocket } from '../support/socket';

// These tests send backlogs faster than the send limit allows (rate-limits.test.ts tests the limits).
const harness = useRuntime({ rateLimitFactor: 10 });
const { open } = harness;

/** Stops reading: what arrives stays in the kernel's buffers, and then in the gateway's. */
function stopReading(socket: TestSocket): void {
  (socket.ws as unknown as { _socket: Socket })._socket.pause();
}

/** A message of the largest text: 2000 emoji, 8 KB of UTF-8. */
const bigText = (i: number) => `${i} ${'😀'.repeat(LIMITS.maxTextLength / 2 - 2)}`;

describe('a recipient that stops reading', () => {
  it("never holds up the sender's acks, and is closed as gone", async () => {
    const [ada, bo] = await Promise.all([open('ada'), open('bo')]);
    // A conversation whose history pages are as large as a reply gets (about 96 KB each).
    await sendMany(ada, 'bo', 24, bigText);

    stopReading(bo);
    // Bo keeps asking for history without reading the answers: megabytes pile up in front of it, more
    // than the socket buffers hold, so the gateway can no longer write to it.
    for (let i = 0; i < 120; i++) {
      bo.send({ action: 'getMessages', conversationId: 'ada:bo', limit: LIMITS.maxMessagesPage });
    }

    // Every send is acknowledged although every push to Bo waits on a full buffer.
    const acks = await sendMany(ada, 'bo', 6, (i) => `still there? ${i}`, 1);
    expect(acks.map((ack) => ack.seq)).toEqual([25, 26, 27, 28, 29, 30]);

    // Bo's connection is treated as gone: its record goes, and later sends no longer try it. Pushes
    // made while the history replies were still being written may have found room in the buffers; once
    // they are full, the next push stalls. So Ada keeps sending, and every send is still acknowledged.
    let seq = 31;
    await expect
      .poll(
        async () => {
          const ids = await harness.connectionIds('bo');
          if (ids.length > 0) {
            const [ack] = await sendMany(ada, 'bo', 1, () => `still there? ${seq}`);
            expect(ack).toMatchObject({ type: 'ack', seq });
            seq++;
          }
          return ids;
        },
        { timeout: 60_000, interval: 500 },
      )
      .toEqual([]);
    const ack = await ada.request({
      action: 'sendMessage',
      messageId: newMessageId(),
      to: 'bo',
      text: 'bye',
    });
    expect(ack).toMatchObject({ type: 'ack', seq });
    // A socket that reads nothing cannot finish a close handshake.
    bo.ws.terminate();
  });
});
