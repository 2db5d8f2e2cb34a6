import type { Frame, TestSocket } from './socket';
import { newMessageId } from './socket';

/** Sends `count` messages from `from` to `to`, a few at a time, and returns their acks in order. */
export async function sendMany(
  from: TestSocket,
  to: string,
  count: number,
  text: (i: number) => string = (i) => `message ${i}`,
  inFlight = 4,
): Promise<Frame[]> {
  const acks: Frame[] = [];
  for (let start = 0; start < count; start += inFlight) {
    const batch = Array.from({ length: Math.min(inFlight, count - start) }, (_, j) =>
      from.request({ action: 'sendMessage', messageId: newMessageId(), to, text: text(start + j) }),
    );
    acks.push(...(await Promise.all(batch)));
  }
  for (const ack of acks) if (ack.type !== 'ack') throw new Error(`send failed: ${JSON.stringify(ack)}`);
  return acks;
}

/** Every message a socket received for a conversation, live or by sync, by sequence number. */
export function receivedSeqs(socket: TestSocket, conversationId: string): number[] {
  const seqs: number[] = [];
  for (const frame of socket.received) {
    if (frame.conversationId !== conversationId) continue;
    if (frame.type === 'message') seqs.push(Number(frame.seq));
    if (frame.type === 'sync' && Array.isArray(frame.messages)) {
      for (const message of frame.messages as Frame[]) seqs.push(Number(message.seq));
    }
  }
  return seqs;
}

export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
