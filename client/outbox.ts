import type { EventOf } from '../contract/protocol/frames';
import { ChatClientError, isDisconnected, isRetryable } from './errors';
import type { OutgoingMedia } from './media';

const retryAfterOf = (error: unknown) => (error instanceof ChatClientError ? (error.retryAfterMs ?? 0) : 0);

export type Ack = EventOf<'ack'>;

export interface OutgoingMessage {
  readonly messageId: string;
  readonly conversationId: string;
  readonly to: string;
  /** The text, or a media message's caption ("" for none). */
  readonly text: string;
  /** A media message's file, uploaded before the message is sent. */
  readonly media?: OutgoingMedia;
  /** Local clock, for display while the message has no server time. */
  readonly queuedAt: number;
}

interface Entry {
  readonly message: OutgoingMessage;
  readonly resolve: (ack: Ack) => void;
  readonly reject: (error: unknown) => void;
  inFlight: boolean;
  /** Aborted when the attempt in flight no longer counts (the connection dropped, or the message was cancelled). */
  attempt: AbortController | undefined;
  attempts: number;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface OutboxDeps {
  /** One attempt; `signal` aborts when the attempt no longer counts, and it must then not send. */
  send(message: OutgoingMessage, signal: AbortSignal): Promise<Ack>;
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
      this.entries.push({
        message,
        resolve,
        reject,
        inFlight: false,
        attempt: undefined,
        attempts: 0,
        retryTimer: undefined,
      });
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
    for (const entry of this.entries) this.stop(entry);
  }

  /** Gives up on one message, e.g. a media message the user cancelled; false when it is not waiting. */
  cancel(messageId: string, error: ChatClientError): boolean {
    const entry = this.entries.find((candidate) => candidate.message.messageId === messageId);
    if (!entry) return false;
    this.stop(entry);
    this.settle(entry, () => entry.reject(error));
    return true;
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

  private stop(entry: Entry): void {
    entry.inFlight = false;
    entry.attempt?.abort();
    entry.attempt = undefined;
    clearTimeout(entry.retryTimer);
    entry.retryTimer = undefined;
  }

  private send(entry: Entry): void {
    entry.inFlight = true;
    const attempt = new AbortController();
    entry.attempt = attempt;
    this.deps.send(entry.message, attempt.signal).then(
      (ack) => this.settle(entry, () => entry.resolve(ack)),
      (error: unknown) => {
        if (attempt.signal.aborted) return;
        entry.inFlight = false;
        entry.attempt = undefined;
        if (isDisconnected(error)) return;
        if (isRetryable(error)) {
          entry.retryTimer = setTimeout(
            () => {
              entry.retryTimer = undefined;
              this.pump();
            },
            // No sooner than the server said the frame would be accepted.
            Math.max(this.deps.retryDelay(entry.attempts++), retryAfterOf(error)),
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
