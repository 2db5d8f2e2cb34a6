import type { EventOf } from '../contract/protocol/frames';
import { type ChatClientError, isDisconnected, isRetryable } from './errors';

export type Ack = EventOf<'ack'>;

export interface OutgoingMessage {
  readonly messageId: string;
  readonly conversationId: string;
  readonly to: string;
  readonly text: string;
  /** Local clock, for display while the message has no server time. */
  readonly queuedAt: number;
}

interface Entry {
  readonly message: OutgoingMessage;
  readonly resolve: (ack: Ack) => void;
  readonly reject: (error: unknown) => void;
  inFlight: boolean;
  attempts: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface OutboxDeps {
  send(message: OutgoingMessage): Promise<Ack>;
  /** Delay before retry number `attempt` (from 0) after a retryable error. */
  retryDelay(attempt: number): number;
  /** The pending messages of a conversation changed. */
  changed(conversationId: string): void;
}

/**
 * Messages sent but not acknowledged yet. Each conversation sends one message at a time, so the
 * server stores a conversation's messages in the order they were written. A message leaves only with
 * its ack or a refusal that no retry can fix; a lost connection keeps it for the next one, where it
 * goes again with the same messageId (the server answers a repeat with the first ack).
 */
export class Outbox {
  private readonly entries: Entry[] = [];

  constructor(private readonly deps: OutboxDeps) {}

  add(message: OutgoingMessage): Promise<Ack> {
    const acked = new Promise<Ack>((resolve, reject) => {
      this.entries.push({ message, resolve, reject, inFlight: false, attempts: 0, retryTimer: undefined });
    });
    this.deps.changed(message.conversationId);
    this.pump();
    return acked;
  }

  /** Sends the first waiting message of every conversation that has none in flight. */
  pump(): void {
    const busy = new Set<string>();
    for (const entry of this.entries) {
      const { conversationId } = entry.message;
      if (busy.has(conversationId)) continue;
      busy.add(conversationId);
      if (!entry.inFlight && entry.retryTimer === undefined) this.send(entry);
    }
  }

  /** The connection is gone: nothing is in flight any more, and retries wait for the next one. */
  disconnected(): void {
    for (const entry of this.entries) {
      entry.inFlight = false;
      clearTimeout(entry.retryTimer);
      entry.retryTimer = undefined;
    }
  }

  pending(conversationId?: string): OutgoingMessage[] {
    return this.entries
      .filter((entry) => conversationId === undefined || entry.message.conversationId === conversationId)
      .map((entry) => entry.message);
  }

  /** Gives up on every message, for a client closed for good. */
  rejectAll(error: ChatClientError): void {
    this.disconnected();
    for (const entry of this.entries.splice(0)) {
      entry.reject(error);
      this.deps.changed(entry.message.conversationId);
    }
  }

  private send(entry: Entry): void {
    entry.inFlight = true;
    this.deps.send(entry.message).then(
      (ack) => this.settle(entry, () => entry.resolve(ack)),
      (error: unknown) => {
        if (!entry.inFlight) return;
        entry.inFlight = false;
        if (isDisconnected(error)) return;
        if (isRetryable(error)) {
          entry.retryTimer = setTimeout(
            () => {
              entry.retryTimer = undefined;
              this.pump();
            },
            this.deps.retryDelay(entry.attempts++),
          );
          return;
        }
        this.settle(entry, () => entry.reject(error));
      },
    );
  }

  private settle(entry: Entry, done: () => void): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) return;
    this.entries.splice(index, 1);
    done();
    this.deps.changed(entry.message.conversationId);
    this.pump();
  }
}
