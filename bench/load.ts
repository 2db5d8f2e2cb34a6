import { type ChatClient, ChatClientError, isRetryable } from '../client/index';
import type { EventOf } from '../contract/protocol/frames';
import { conversationIdOf } from '../contract/protocol/ids';
import { connectUser, inBatches, MAX_BACKOFF_MS, NO_RECEIPTS_MS, type Target, withRetries } from './client';
import { type Distribution, distribution } from './stats';

/** One message, from its first send to its delivery; ids are unique within a fleet. */
interface Track {
  messageId: string;
  from: string;
  to: string;
  /** In the measured window (not warm-up). */
  measured: boolean;
  sentAt: number;
  attempts: number;
  ackAt: number | undefined;
  deliveredAt: number | undefined;
  deliveries: number;
  seq: number | undefined;
  /** A refusal no retry can fix (never expected from the bench's own traffic). */
  refused: string | undefined;
  retryAt: number | undefined;
}

export interface RunSpec {
  rate: number;
  seconds: number;
  warmupSeconds: number;
  size: number;
  /** After the last send, how long to wait for outstanding acks and deliveries. */
  drainTimeoutMs: number;
}

export interface RunResult {
  offeredRate: number;
  /** Messages sent in the measured window per second (below offeredRate when the generator lags). */
  sendRate: number;
  /** Deliveries that happened inside the measured window, per second. */
  deliveredPerSecond: number;
  sent: number;
  acked: number;
  delivered: number;
  /** Not acknowledged by the end of the drain: the sender still holds them (not lost, not sent). */
  unacked: number;
  /** Acknowledged (stored) but not pushed to the recipient by the end of the drain. */
  undelivered: number;
  /** Deliveries beyond the first of a message, and acks whose sequence number changed. */
  duplicates: number;
  /** Refusals by code (none expected). */
  refused: Record<string, number>;
  retries: number;
  /** API Gateway's own error answers (they carry no requestId of ours). */
  gatewayErrors: number;
  /** How far the generator fell behind its schedule, at worst (ms). */
  maxScheduleLagMs: number;
  deliver: Distribution;
  ack: Distribution;
  /** Raw samples (ms) for the chart; measured messages only. */
  deliverSamples: number[];
  ackSamples: number[];
  /** Time from the last send until everything settled (or the drain timed out). */
  drainMs: number;
}

const CONNECT_TIMEOUT_MS = 30_000;
const HISTORY_PAGE = 100;
/** The resends before the end-of-fleet check stop after this long; what is left counts as unacked. */
const RESEND_LIMIT_MS = 120_000;
const TICK_MS = 1;
/** Retries, settling and progress are checked this often; sending is checked every tick. */
const SWEEP_MS = 50;

/**
 * How the end-of-fleet check was made: the recipients' history (getMessages), or, for the floors,
 * which keep nothing a client can read back, the live deliveries.
 */
export interface Verification {
  method: 'history' | 'live';
  sent: number;
  acked: number;
  deliveredLive: number;
  /** Acknowledged, yet missing from the history (or, for 'live', never delivered). */
  lost: number;
  /** Never acknowledged, even when sent again at the end: reported, not counted as lost. */
  unacked: number;
  /** Live deliveries beyond the first, and messages stored twice in the history. */
  duplicates: number;
  /** Missing sequence numbers in the conversations' histories. */
  seqGaps: number;
}

const textOfSize = (size: number) =>
  'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(size / 45)).slice(0, size);

/**
 * Simulated users, paired into 1:1 conversations, connected once and driven through any number of runs
 * at an open-loop rate (messages leave on schedule whether or not earlier ones were answered, so a
 * slow server shows up as latency rather than as a slower generator). Each user is a ChatClient; sends
 * use its request API rather than its outbox, which keeps one message per conversation in flight and
 * would turn a slow server into a slow generator.
 */
export class Fleet {
  private readonly tracks = new Map<string, Track>();
  private readonly clients = new Map<string, ChatClient>();
  private runCount = 0;
  private nextId = 0;
  private gatewayErrors = 0;
  private retries = 0;
  private duplicates = 0;
  /** Text length of the last run: a resend must carry the same text. */
  private size = 0;
  private readonly tag = Math.random().toString(36).slice(2, 8);

  private constructor(readonly users: readonly string[]) {}

  static async connect(
    target: Target,
    userCount: number,
    onProgress: (connected: number) => void = () => {},
  ): Promise<Fleet> {
    const users = Array.from({ length: userCount }, (_, i) => `u${String(i).padStart(5, '0')}`);
    const fleet = new Fleet(users);
    let connected = 0;
    await inBatches(users, 16, async (user) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${user} could not connect within 30 s`)),
          CONNECT_TIMEOUT_MS,
        );
      });
      const connecting = connectUser(target, user, { receiptDelayMs: NO_RECEIPTS_MS });
      const client = await Promise.race([connecting, timeout]).finally(() => clearTimeout(timer));
      client.on('message', (event) => fleet.delivered(user, event, performance.now()));
      client.on('error', (event) => {
        if (event.requestId === undefined && event.code === 'INTERNAL') fleet.gatewayErrors++;
      });
      fleet.clients.set(user, client);
      onProgress(++connected);
    });
    return fleet;
  }

  /** The peer of each user: users 2k and 2k+1 talk to each other. */
  private peerOf(index: number): string {
    return this.users[index ^ 1] ?? '';
  }

  private delivered(user: string, event: EventOf<'message'>, at: number): void {
    const track = this.tracks.get(event.messageId);
    if (!track || track.to !== user) return;
    track.deliveries++;
    if (track.deliveries > 1) this.duplicates++;
    track.deliveredAt ??= at;
    this.checkSeq(track, event.seq);
  }

  /** A message keeps the sequence number it was first given: a different one means it was stored twice. */
  private checkSeq(track: Track, seq: number): void {
    if (track.seq === undefined) track.seq = seq;
    else if (track.seq !== seq) this.duplicates++;
  }

  private transmit(track: Track, text: string): void {
    const client = this.clients.get(track.from);
    if (!client) return;
    track.attempts++;
    client.request('sendMessage', { messageId: track.messageId, to: track.to, text }).then(
      (ack) => {
        track.ackAt ??= performance.now();
        this.checkSeq(track, ack.seq);
        // What the library's outbox does with an ack: the sender's store holds its own message, so
        // the peer's messages around it leave no hole that the library would fetch.
        const { conversationId, seq, messageId, sentAt } = ack;
        client.store.add(
          [{ conversationId, seq, messageId, from: track.from, to: track.to, text, sentAt }],
          'push',
        );
      },
      (error: unknown) => {
        if (isRetryable(error) || (error instanceof ChatClientError && error.code === 'DISCONNECTED')) {
          const backoff = Math.min(MAX_BACKOFF_MS, 50 * 2 ** track.attempts);
          track.retryAt = performance.now() + backoff * (0.5 + Math.random());
        } else {
          track.refused = error instanceof ChatClientError ? error.code : String(error);
        }
      },
    );
  }

  /** Resends, with the same messageId, what a retryable error or a timeout left unacknowledged. */
  private retryDue(pending: Iterable<Track>, text: string, now: number): void {
    for (const track of pending) {
      if (track.retryAt === undefined || now < track.retryAt || track.ackAt !== undefined) continue;
      track.retryAt = undefined;
      this.retries++;
      this.transmit(track, text);
    }
  }

  async run(
    spec: RunSpec,
    onProgress: (fraction: number, status: string) => void = () => {},
  ): Promise<RunResult> {
    const run = ++this.runCount;
    this.size = spec.size;
    const text = textOfSize(spec.size);
    const pairs = this.users.length / 2;
    const retriesBefore = this.retries;
    const duplicatesBefore = this.duplicates;
    const gatewayErrorsBefore = this.gatewayErrors;
    const planned = Math.max(1, Math.round(spec.rate * (spec.warmupSeconds + spec.seconds)));
    const mine: Track[] = [];
    const open = new Set<Track>();
    let maxLag = 0;
    let lastSweep = 0;

    const start = performance.now();
    const warmEnd = start + spec.warmupSeconds * 1000;
    const end = warmEnd + spec.seconds * 1000;
    const total = end - start + spec.drainTimeoutMs;

    const settled = (track: Track) =>
      track.refused !== undefined || (track.ackAt !== undefined && track.deliveredAt !== undefined);

    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(planned, Math.floor(((now - start) / 1000) * spec.rate) + 1);
        while (mine.length < due) {
          const n = mine.length;
          const scheduled = start + (n / spec.rate) * 1000;
          maxLag = Math.max(maxLag, now - scheduled);
          // Consecutive messages go to different conversations; each conversation alternates direction.
          const senderIndex = 2 * (n % pairs) + (Math.floor(n / pairs) % 2);
          const track: Track = {
            messageId: `${this.tag}-${run}-${this.nextId++}`,
            from: this.users[senderIndex] ?? '',
            to: this.peerOf(senderIndex),
            measured: scheduled >= warmEnd,
            sentAt: now,
            attempts: 0,
            ackAt: undefined,
            deliveredAt: undefined,
            deliveries: 0,
            seq: undefined,
            refused: undefined,
            retryAt: undefined,
          };
          this.tracks.set(track.messageId, track);
          mine.push(track);
          open.add(track);
          this.transmit(track, text);
        }
        if (now - lastSweep >= SWEEP_MS) {
          lastSweep = now;
          this.retryDue(open, text, now);
          for (const track of open) if (settled(track)) open.delete(track);
          const sending = mine.length < planned;
          onProgress(
            Math.min(1, sending ? (now - start) / total : (end - start + (now - end)) / total),
            `${sending ? 'sending' : 'draining'} ${Math.round(spec.rate)}/s · sent ${mine.length} · settled ${mine.length - open.size}`,
          );
          if (!sending && (open.size === 0 || now - end > spec.drainTimeoutMs)) {
            resolve();
            return;
          }
        }
        setTimeout(tick, TICK_MS);
      };
      tick();
    });
    const finished = performance.now();

    const measured = mine.filter((track) => track.measured);
    const refused: Record<string, number> = {};
    for (const track of mine) if (track.refused) refused[track.refused] = (refused[track.refused] ?? 0) + 1;
    const lastSend = measured.reduce((latest, track) => Math.max(latest, track.sentAt), warmEnd);
    const deliverSamples = measured.flatMap((t) =>
      t.deliveredAt === undefined ? [] : [t.deliveredAt - t.sentAt],
    );
    const ackSamples = measured.flatMap((t) => (t.ackAt === undefined ? [] : [t.ackAt - t.sentAt]));
    const inWindow = mine.filter(
      (t) => t.deliveredAt !== undefined && t.deliveredAt >= warmEnd && t.deliveredAt <= end,
    );
    return {
      offeredRate: spec.rate,
      sendRate: measured.length / ((lastSend - warmEnd) / 1000 + 1 / spec.rate),
      deliveredPerSecond: inWindow.length / spec.seconds,
      sent: mine.length,
      acked: mine.filter((t) => t.ackAt !== undefined).length,
      delivered: mine.filter((t) => t.deliveredAt !== undefined).length,
      unacked: mine.filter((t) => t.ackAt === undefined && t.refused === undefined).length,
      undelivered: mine.filter((t) => t.ackAt !== undefined && t.deliveredAt === undefined).length,
      duplicates: this.duplicates - duplicatesBefore,
      refused,
      retries: this.retries - retriesBefore,
      gatewayErrors: this.gatewayErrors - gatewayErrorsBefore,
      maxScheduleLagMs: maxLag,
      deliver: distribution(deliverSamples),
      ack: distribution(ackSamples),
      deliverSamples,
      ackSamples,
      drainMs: finished - Math.min(finished, end),
    };
  }

  /**
   * The end-of-fleet check, after every run: for the chat, each conversation's history is read back
   * (getMessages, oldest first) and every acknowledged message must be in it exactly once, without
   * gaps in the sequence numbers; for the floors, every acknowledged message must have been delivered.
   * Late deliveries count: a message a run stopped waiting for may have arrived since.
   */
  async verify(method: Verification['method']): Promise<Verification> {
    // As a client does after a reconnect: what has no ack is sent again with its messageId, and the
    // server answers with the first ack (duplicate: true) or stores it now.
    const unanswered = [...this.tracks.values()].filter(
      (t) => t.ackAt === undefined && t.refused === undefined,
    );
    const deadline = performance.now() + RESEND_LIMIT_MS;
    await inBatches(unanswered, 16, async (track) => {
      const client = this.clients.get(track.from);
      if (!client || performance.now() > deadline) return;
      const text = textOfSize(this.size);
      const ack = await withRetries(() =>
        client.request('sendMessage', { messageId: track.messageId, to: track.to, text }),
      ).catch(() => undefined);
      if (!ack) return;
      track.ackAt ??= performance.now();
      this.checkSeq(track, ack.seq);
    });
    const all = [...this.tracks.values()];
    const acked = all.filter((track) => track.ackAt !== undefined);
    const verification: Verification = {
      method,
      sent: all.length,
      acked: acked.length,
      deliveredLive: all.filter((track) => track.deliveredAt !== undefined).length,
      lost: 0,
      unacked: all.filter((track) => track.ackAt === undefined && track.refused === undefined).length,
      duplicates: this.duplicates,
      seqGaps: 0,
    };
    if (method === 'live') {
      verification.lost = acked.filter((track) => track.deliveredAt === undefined).length;
      return verification;
    }
    const stored = new Set<string>();
    const firstOfPairs = Array.from({ length: this.users.length / 2 }, (_, pair) => 2 * pair);
    await inBatches(firstOfPairs, 8, async (index) => {
      const user = this.users[index] ?? '';
      const client = this.clients.get(user);
      if (!client) return;
      const conversationId = conversationIdOf(user, this.peerOf(index));
      const seqs = new Set<number>();
      for (let after = 0, more = true; more; ) {
        const page = await withRetries(() =>
          client.request('getMessages', { conversationId, after, limit: HISTORY_PAGE }),
        );
        for (const message of page.messages) {
          if (stored.has(message.messageId) || seqs.has(message.seq)) verification.duplicates++;
          stored.add(message.messageId);
          seqs.add(message.seq);
          after = Math.max(after, message.seq);
        }
        more = page.hasMore && page.messages.length > 0;
      }
      verification.seqGaps += [...seqs].reduce((max, seq) => Math.max(max, seq), 0) - seqs.size;
    });
    verification.lost = acked.filter((track) => !stored.has(track.messageId)).length;
    return verification;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }
}
