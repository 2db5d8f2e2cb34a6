import { LIMITS } from '../contract/limits';
import { SERVER_EVENT_TYPES } from '../contract/protocol/event-types';
import type {
  ChatMessage,
  ClientAction,
  ClientFrame,
  EventOf,
  FrameOf,
  PushSubscriptionJson,
  ServerEvent,
  ServerEventType,
} from '../contract/protocol/frames';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff';
import { Emitter } from './emitter';
import { ChatClientError, isDisconnected } from './errors';
import { conversationIdOf, randomId } from './ids';
import {
  cancelled,
  describeMedia,
  isUploadGone,
  type MediaInput,
  MediaUpload,
  mediaPartOf,
  sentAttachment,
  type Uploader,
  type UploadProgress,
} from './media';
import { MessageStore, type Origin } from './message-store';
import { type Ack, Outbox, type OutgoingMessage } from './outbox';
import { fetchUploader } from './upload';

/**
 * What the client needs of a WebSocket: the browser's `WebSocket` and the `ws` package both fit.
 * Passing the constructor keeps this library free of any platform's globals.
 */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
}
export type SocketConstructor = new (url: string) => SocketLike;

const OPEN = 1;

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StateChange {
  state: ConnectionState;
  /** Failed attempts since the last open connection. */
  attempt: number;
  /** When reconnecting: how long until the next attempt. */
  retryInMs?: number;
  /** Why the last connection ended or the last attempt failed, for logs. */
  reason?: string;
  /** A failure of the token provider, which the app may want to act on (sign in again). */
  tokenError?: unknown;
}

/**
 * The events a client emits: every server event by its `type`, plus the client's own. An `error`
 * event is an error that answers no pending request (a pending request rejects with it instead).
 */
export type ClientEvents = { [T in ServerEventType]: EventOf<T> } & {
  state: StateChange;
  /** Messages new to the store, in seq order, from any source (push, sync, ack, history). */
  stored: { conversationId: string; messages: ChatMessage[] };
  /** The unacknowledged messages of a conversation changed. */
  outbox: { conversationId: string; pending: OutgoingMessage[] };
  /** A media message's file is uploading: bytes sent so far. */
  upload: { conversationId: string; messageId: string } & UploadProgress;
};

export interface ChatClientOptions {
  /** The WebSocket endpoint, e.g. ws://127.0.0.1:3001/live. */
  url: string;
  /** The signed-in user: the username in lower case. */
  userId: string;
  /** Stable for this device across reconnects and restarts (`[A-Za-z0-9_-]{1,64}`). */
  deviceId: string;
  /** Called before every connection attempt, so that a reconnect uses a fresh token. */
  getToken: () => Promise<string>;
  WebSocket: SocketConstructor;
  /** How long a request waits for its reply. Default 15 s (API Gateway gives up on a route after 29 s). */
  requestTimeoutMs?: number;
  /** Heartbeat interval until the server's first heartbeat reply names one. Default LIMITS.heartbeatIntervalMs. */
  heartbeatIntervalMs?: number;
  /** Receipts wait this long to cover more messages in one frame. Default 250 ms. */
  receiptDelayMs?: number;
  /** How long a hole in the seq numbers may last before the client fetches it. Default 2 s. */
  gapWaitMs?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  /**
   * Uploads media files to their slot. Default: `fetchUploader` (Node and browsers, no progress before
   * the end); browsers pass `xhrUploader(XMLHttpRequest)` for progress.
   */
  upload?: Uploader;
}

/** Actions that get a reply, and the reply's type. `typing` has none. */
const REPLY_TYPES = {
  sendMessage: 'ack',
  heartbeat: 'heartbeat',
  receipt: 'status',
  getPresence: 'presence',
  updateSettings: 'settings',
  listConversations: 'conversations',
  getMessages: 'messages',
  sync: 'synced',
  hideConversation: 'ok',
  requestUpload: 'uploadSlot',
  getMediaUrl: 'mediaUrl',
  signOutEverywhere: 'ok',
  setPushSubscription: 'pushSubscription',
  muteConversation: 'conversationMuted',
} as const satisfies Partial<Record<ClientAction, ServerEventType>>;
export type RequestAction = keyof typeof REPLY_TYPES;
export type ReplyOf<A extends RequestAction> = EventOf<(typeof REPLY_TYPES)[A]>;
export type RequestFields<A extends RequestAction> = Omit<FrameOf<A>, 'action' | 'requestId'>;

interface PendingRequest {
  expects: ServerEventType;
  resolve: (event: ServerEvent) => void;
  reject: (error: ChatClientError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A chat connection that stays up: it reconnects with backoff, keeps unacknowledged messages and
 * resends them, stores what arrives without duplicates and in order, sends receipts, and heartbeats.
 */
export class ChatClient extends Emitter<ClientEvents> {
  readonly userId: string;
  readonly store: MessageStore;
  private readonly options: Required<Omit<ChatClientOptions, 'backoff' | 'random' | 'upload'>> & {
    backoff: BackoffOptions;
    random: () => number;
  };
  private readonly upload: Uploader;
  private readonly outbox: Outbox;
  /** Uploads of the media messages in the outbox, by messageId. */
  private readonly uploads = new Map<string, MediaUpload>();
  private readonly urlRequests = new Map<string, Promise<ReplyOf<'getMediaUrl'>>>();
  private readonly requests = new Map<string, PendingRequest>();
  private socket: SocketLike | undefined;
  private current: StateChange = { state: 'closed', attempt: 0 };
  private closedForGood = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatInFlight = false;
  private heartbeatMs: number;
  private receiptTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly receiptsDue = new Set<string>();
  private readonly seenToReport = new Map<string, number>();
  private readonly gapTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly opened = new Set<{ resolve: () => void; reject: (error: ChatClientError) => void }>();
  /** The conversations this user muted, as the last `conversations` or `conversationMuted` said. */
  private readonly mutedIds = new Set<string>();

  constructor(options: ChatClientOptions) {
    super();
    this.options = {
      requestTimeoutMs: 15_000,
      heartbeatIntervalMs: LIMITS.heartbeatIntervalMs,
      receiptDelayMs: 250,
      gapWaitMs: 2000,
      random: Math.random,
      ...options,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    };
    this.userId = options.userId;
    this.heartbeatMs = this.options.heartbeatIntervalMs;
    this.store = new MessageStore(options.userId);
    this.upload = options.upload ?? fetchUploader;
    this.outbox = new Outbox({
      send: (message, signal) =>
        message.media
          ? this.sendMediaAttempt(message, signal)
          : this.request('sendMessage', {
              messageId: message.messageId,
              to: message.to,
              text: message.text,
              afterSeq: this.afterSeq(message.to),
            }),
      retryDelay: (attempt) => backoffDelay(attempt, this.options.backoff, this.options.random),
      changed: (conversationId) =>
        this.emit('outbox', { conversationId, pending: this.outbox.pending(conversationId) }),
    });
  }

  get state(): ConnectionState {
    return this.current.state;
  }

  /** Starts connecting (and reconnecting whenever the connection drops); resolves when first open. */
  connect(): Promise<void> {
    const open = new Promise<void>((resolve, reject) => {
      if (this.current.state === 'open') resolve();
      else this.opened.add({ resolve, reject });
    });
    if (this.closedForGood) {
      this.closedForGood = false;
      void this.attempt(0);
    }
    return open;
  }

  /** Closes for good: no reconnect; pending requests and unsent messages are rejected with CLOSED. */
  close(): void {
    this.closedForGood = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.receiptTimer);
    for (const timer of this.gapTimers.values()) clearTimeout(timer);
    this.gapTimers.clear();
    const socket = this.socket;
    this.dropSocket('closed by the app');
    socket?.close(1000, 'bye');
    const closed = new ChatClientError('CLOSED', 'The chat client was closed');
    for (const upload of this.uploads.values()) upload.cancel();
    this.outbox.rejectAll(closed);
    for (const waiter of this.opened) waiter.reject(closed);
    this.opened.clear();
    this.setState({ state: 'closed', attempt: 0 });
  }

  /** Skips the backoff wait (the app learnt the network is back); no-op while open or connecting. */
  reconnectNow(): void {
    if (this.closedForGood || this.current.state !== 'reconnecting' || this.reconnectTimer === undefined)
      return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    void this.attempt(this.current.attempt);
  }

  /**
   * Heartbeats now, unless one is on its way: a socket that died without closing is then noticed within
   * the request timeout rather than at the next heartbeat, minutes away. For when the app has reason to
   * doubt the socket, e.g. the page became visible again; a request that got no reply calls it too.
   */
  checkConnection(): void {
    if (this.socket?.readyState === OPEN && !this.heartbeatInFlight) this.heartbeat();
  }

  /** Drops the connection as if the network had failed; the client reconnects with backoff. */
  disconnect(reason = 'disconnected by the app'): void {
    const socket = this.socket;
    if (!socket) return;
    this.dropSocket(reason);
    socket.close(4000, reason);
    this.scheduleReconnect(0, reason);
  }

  /**
   * Sends a text message; resolves with its ack. Until then it waits in the outbox and is sent again,
   * with the same messageId, after a reconnect or a retryable error; it rejects on a refusal
   * (e.g. UNKNOWN_RECIPIENT) or when the client is closed.
   */
  sendMessage(to: string, text: string, messageId: string = randomId()): Promise<Ack> {
    const conversationId = conversationIdOf(this.userId, to);
    return this.outbox.add({ messageId, conversationId, to, text, queuedAt: Date.now() });
  }

  /**
   * Sends a photo, voice note, audio file or video; resolves with its ack. The file goes straight to
   * the bucket through an upload slot (progress comes to `onProgress` and as `upload` events), then the
   * message, which waits in the outbox like text: after a reconnect only the message is sent again,
   * with the same messageId, unless the upload had not finished or the server no longer accepts it
   * (UPLOAD_EXPIRED, UPLOAD_NOT_FOUND), when the file is uploaded again through a new slot. Rejects at
   * once with MEDIA_TYPE_NOT_ALLOWED or MEDIA_TOO_LARGE for a file the server would refuse, with
   * UPLOAD_FAILED when the bucket refuses the file or cannot be reached, and with CANCELLED when
   * `signal` aborts before the file is up.
   *
   *   const ack = await client.sendMedia({ to: 'bob', file, caption: 'Look', onProgress: console.log });
   */
  sendMedia(input: MediaInput): Promise<Ack> {
    let media: ReturnType<typeof describeMedia>;
    try {
      media = describeMedia(input);
    } catch (error) {
      return Promise.reject(error);
    }
    const { to, messageId = randomId(), signal, onProgress } = input;
    const conversationId = conversationIdOf(this.userId, to);
    const upload = new MediaUpload(media, {
      requestSlot: ({ kind, contentType, size, fileName }) =>
        this.request('requestUpload', {
          kind,
          contentType,
          size,
          ...(fileName !== undefined && { fileName }),
        }),
      upload: this.upload,
      progress: (progress) => {
        onProgress?.(progress);
        this.emit('upload', { conversationId, messageId, ...progress });
      },
    });
    if (signal?.aborted) return Promise.reject(cancelled());
    this.uploads.set(messageId, upload);
    const onAbort = () => this.cancelMedia(messageId);
    signal?.addEventListener('abort', onAbort, { once: true });
    const text = input.caption ?? '';
    return this.outbox
      .add({ messageId, conversationId, to, text, media, queuedAt: Date.now() })
      .finally(() => {
        signal?.removeEventListener('abort', onAbort);
        this.uploads.delete(messageId);
      });
  }

  /** How far the file of a media message in the outbox has uploaded. */
  uploadProgress(messageId: string): UploadProgress | undefined {
    return this.uploads.get(messageId)?.progress;
  }

  /**
   * A fresh download URL for a media message (docs/protocol.md, `getMediaUrl`), for one whose URL
   * expired or is still "" (our own message, stored from its ack). The store's copy is updated;
   * concurrent calls for the same message share one request.
   */
  refreshMediaUrl(conversationId: string, seq: number): Promise<ReplyOf<'getMediaUrl'>> {
    const key = `${conversationId} ${seq}`;
    let reply = this.urlRequests.get(key);
    if (!reply) {
      reply = this.request('getMediaUrl', { conversationId, seq }).finally(() =>
        this.urlRequests.delete(key),
      );
      this.urlRequests.set(key, reply);
    }
    return reply;
  }

  pending(conversationId?: string): OutgoingMessage[] {
    return this.outbox.pending(conversationId);
  }

  /**
   * The app displayed every message of the conversation up to `upTo`; reported soon, in one receipt.
   * This device's unread counts take it at once: no reply to the receipt will come to tell them.
   */
  markSeen(conversationId: string, upTo: number): void {
    if (upTo <= this.store.seenUpTo(conversationId)) return;
    this.store.setSeen(conversationId, upTo);
    this.seenToReport.set(conversationId, Math.max(upTo, this.seenToReport.get(conversationId) ?? 0));
    this.scheduleReceipts([conversationId]);
  }

  /**
   * Reports a watermark now, as the client does by itself after `receiptDelayMs` (apps leave receipts
   * to it and `markSeen`). Sent without a requestId, so the server answers only a failure, as an
   * `error` event: a reply would be one more billed message per receipt. Returns false, sending
   * nothing, when no socket is open. A receipt lost with its socket is covered by the next one,
   * watermarks being cumulative; until then the server's cursor for this device is behind, so the next
   * sync sends those messages again and the store owes their "delivered" again.
   */
  sendReceipt(conversationId: string, status: 'delivered' | 'seen', upTo: number): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.sendFrame({ action: 'receipt', conversationId, status, upTo });
    this.store.reported(conversationId, status, upTo);
    if (status === 'seen' && (this.seenToReport.get(conversationId) ?? 0) <= upTo) {
      this.seenToReport.delete(conversationId);
    }
    return true;
  }

  /** Best effort, no reply: dropped while disconnected; a refusal comes as an `error` event. */
  typing(to: string, state: 'typing' | 'stopped'): void {
    if (this.socket?.readyState === OPEN)
      this.sendFrame({ action: 'typing', requestId: randomId(), to, state });
  }

  /**
   * Loads one page of history into the store: the newest page first, then each call the page before
   * the oldest message held. Resolves with the messages new to the store.
   */
  async loadHistory(
    conversationId: string,
    limit = 50,
  ): Promise<{ messages: ChatMessage[]; hasMore: boolean }> {
    const latest = !this.store.history(conversationId).loaded;
    const oldest = this.store.messages(conversationId)[0];
    if (!latest && oldest?.seq === 1) {
      // seq starts at 1: the whole history is here already.
      this.store.setHistory(conversationId, false);
      return { messages: [], hasMore: false };
    }
    const page = await this.request('getMessages', {
      conversationId,
      limit,
      ...(!latest && oldest && { before: oldest.seq }),
    });
    if (latest && page.messages.length === 0) this.store.markEmpty(conversationId);
    this.store.setHistory(conversationId, page.hasMore);
    return { messages: this.receive(page.messages, latest ? 'latest-page' : 'page'), hasMore: page.hasMore };
  }

  listConversations(fields: RequestFields<'listConversations'> = {}): Promise<ReplyOf<'listConversations'>> {
    return this.request('listConversations', fields);
  }

  getPresence(users: string[]): Promise<ReplyOf<'getPresence'>> {
    return this.request('getPresence', { users });
  }

  updateSettings(fields: RequestFields<'updateSettings'> = {}): Promise<ReplyOf<'updateSettings'>> {
    return this.request('updateSettings', fields);
  }

  sync(): Promise<ReplyOf<'sync'>> {
    return this.request('sync', {});
  }

  hideConversation(conversationId: string): Promise<ReplyOf<'hideConversation'>> {
    return this.request('hideConversation', { conversationId });
  }

  /**
   * Stores this device's Web Push subscription (`PushSubscription.toJSON()`), or removes it with null.
   * The reply names the deployment's VAPID public key: a subscription made with another key must be
   * made again (docs/protocol.md, `pushSubscription`).
   */
  setPushSubscription(subscription: PushSubscriptionJson | null): Promise<ReplyOf<'setPushSubscription'>> {
    return this.request('setPushSubscription', { subscription });
  }

  /** A muted conversation is not pushed to this user's devices; its messages still arrive here. */
  muteConversation(conversationId: string, muted: boolean): Promise<ReplyOf<'muteConversation'>> {
    return this.request('muteConversation', { conversationId, muted });
  }

  /** Whether this user muted the conversation, on any device (known once conversations were listed). */
  isMuted(conversationId: string): boolean {
    return this.mutedIds.has(conversationId);
  }

  /** Ends every session of this user; the server then closes every connection, this one included. */
  signOutEverywhere(): Promise<ReplyOf<'signOutEverywhere'>> {
    return this.request('signOutEverywhere', {});
  }

  /** Sends one frame and resolves with its reply; rejects with the server's error code, or TIMEOUT / DISCONNECTED. */
  request<A extends RequestAction>(action: A, fields: RequestFields<A>): Promise<ReplyOf<A>> {
    const socket = this.socket;
    if (socket?.readyState !== OPEN) {
      return Promise.reject(new ChatClientError('DISCONNECTED', 'Not connected'));
    }
    const requestId = randomId();
    const expects: ServerEventType = REPLY_TYPES[action];
    return new Promise<ReplyOf<A>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(requestId);
        if (action !== 'heartbeat') this.checkConnection();
        reject(
          new ChatClientError('TIMEOUT', `No reply to ${action} within ${this.options.requestTimeoutMs} ms`),
        );
      }, this.options.requestTimeoutMs);
      this.requests.set(requestId, {
        expects,
        // The reply's type was checked against `expects` before this is called.
        resolve: (event) => resolve(event as ReplyOf<A>),
        reject,
        timer,
      });
      this.sendFrame({ ...fields, action, requestId } as ClientFrame);
    });
  }

  /** Cancels a media message while its file uploads; once the file is up, the message goes on. */
  private cancelMedia(messageId: string): void {
    if (this.uploads.get(messageId)?.cancel()) this.outbox.cancel(messageId, cancelled());
  }

  /** The last seq this client holds in the conversation with `to`: when still the last, the server stores sooner. */
  private afterSeq(to: string): number {
    return this.store.highest(conversationIdOf(this.userId, to));
  }

  /** One attempt to send a media message: the upload first, unless it finished in an earlier attempt. */
  private async sendMediaAttempt(message: OutgoingMessage, signal: AbortSignal): Promise<Ack> {
    const upload = this.uploads.get(message.messageId);
    if (!message.media || !upload) throw cancelled();
    const { messageId, to, text } = message;
    for (let fresh = false; ; fresh = true) {
      const uploadId = await upload.uploadId();
      // The connection dropped while the file uploaded: the attempt of the next connection sends it.
      if (signal.aborted)
        throw new ChatClientError('DISCONNECTED', 'The connection closed during the upload');
      try {
        return await this.request('sendMessage', {
          messageId,
          to,
          ...(text !== '' && { text }),
          media: mediaPartOf(message.media, uploadId),
          afterSeq: this.afterSeq(to),
        });
      } catch (error) {
        // Once per attempt: a new upload that is refused again will not be accepted by a third.
        if (fresh || !isUploadGone(error)) throw error;
        upload.discard();
      }
    }
  }

  private async attempt(attempt: number): Promise<void> {
    this.reconnectTimer = undefined;
    this.setState({
      state: attempt === 0 && this.current.state !== 'reconnecting' ? 'connecting' : 'reconnecting',
      attempt,
    });
    let token: string;
    try {
      token = await this.options.getToken();
    } catch (error) {
      if (!this.closedForGood) this.scheduleReconnect(attempt + 1, 'could not get a token', error);
      return;
    }
    if (this.closedForGood) return;
    const url = new URL(this.options.url);
    url.searchParams.set('token', token);
    url.searchParams.set('deviceId', this.options.deviceId);
    let socket: SocketLike;
    try {
      socket = new this.options.WebSocket(url.toString());
    } catch (error) {
      this.scheduleReconnect(attempt + 1, error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    let failure = 'the connection failed';
    socket.addEventListener('open', () => {
      if (this.socket === socket) this.onOpen();
    });
    socket.addEventListener('message', (event) => {
      if (this.socket === socket) this.onFrame(event.data);
    });
    socket.addEventListener('error', () => {
      failure = 'the connection failed';
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return;
      const opened = this.current.state === 'open';
      const reason = `${event.reason || failure} (code ${event.code})`;
      this.dropSocket(reason);
      this.scheduleReconnect(opened ? 0 : attempt + 1, reason);
    });
  }

  private onOpen(): void {
    this.store.unsettle();
    this.setState({ state: 'open', attempt: 0 });
    for (const waiter of this.opened) waiter.resolve();
    this.opened.clear();
    // No heartbeat yet: the sync the server starts on connect proves the socket, and a heartbeat now
    // would cost a Lambda invocation, a write and two messages per session for nothing else.
    this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
    this.outbox.pump();
    this.scheduleReceipts(this.store.conversationIds());
  }

  /** Forgets the socket and everything tied to it; requests in flight fail with DISCONNECTED. */
  private dropSocket(reason: string): void {
    this.socket = undefined;
    clearTimeout(this.heartbeatTimer);
    this.outbox.disconnected();
    for (const [requestId, pending] of this.requests) {
      clearTimeout(pending.timer);
      this.requests.delete(requestId);
      pending.reject(new ChatClientError('DISCONNECTED', `The connection closed: ${reason}`));
    }
  }

  private scheduleReconnect(attempt: number, reason: string, tokenError?: unknown): void {
    const retryInMs = backoffDelay(attempt, this.options.backoff, this.options.random);
    this.setState({
      state: 'reconnecting',
      attempt,
      retryInMs,
      reason,
      ...(tokenError !== undefined && { tokenError }),
    });
    this.reconnectTimer = setTimeout(() => void this.attempt(attempt), retryInMs);
  }

  private setState(change: StateChange): void {
    this.current = change;
    this.emit('state', change);
  }

  private sendFrame(frame: ClientFrame): void {
    this.socket?.send(JSON.stringify(frame));
  }

  /**
   * Each heartbeat's reply names the server's interval for the next one; one that gets no reply means
   * the socket is dead without having closed (a half-open TCP connection), so we reconnect.
   */
  private heartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatInFlight = true;
    this.request('heartbeat', {}).then(
      (reply) => {
        this.heartbeatInFlight = false;
        this.heartbeatMs = reply.intervalMs;
        this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
      },
      (error: unknown) => {
        this.heartbeatInFlight = false;
        if (error instanceof ChatClientError && error.code === 'TIMEOUT')
          this.disconnect('no heartbeat reply');
        else if (this.socket) this.heartbeatTimer = setTimeout(() => this.heartbeat(), this.heartbeatMs);
      },
    );
  }

  private onFrame(data: unknown): void {
    const event = parseServerEvent(data);
    if (!event) return;
    const pending =
      'requestId' in event && event.requestId !== undefined ? this.requests.get(event.requestId) : undefined;
    if (pending && (event.type === pending.expects || event.type === 'error') && 'requestId' in event) {
      this.requests.delete(event.requestId ?? '');
      clearTimeout(pending.timer);
      if (event.type === 'error') {
        pending.reject(new ChatClientError(event.code, event.message, event.retryAfterMs));
        return;
      }
      pending.resolve(event);
    }
    this.handle(event);
    this.emit(event.type, event as never);
  }

  /** What the client itself does with an event, before the app's listeners see it. */
  private handle(event: ServerEvent): void {
    switch (event.type) {
      case 'message':
        this.receive([toMessage(event)], 'push');
        return;
      case 'sync':
        this.receive(event.messages, 'sync');
        return;
      case 'ack': {
        const sent = this.outbox.pending(event.conversationId).find((m) => m.messageId === event.messageId);
        if (sent) {
          const { messageId, conversationId, seq, sentAt } = event;
          const message: ChatMessage = {
            conversationId,
            seq,
            messageId,
            from: this.userId,
            to: sent.to,
            text: sent.text,
            ...(sent.media && { media: sentAttachment(sent.media) }),
            sentAt,
          };
          this.receive([message], 'push');
        }
        return;
      }
      case 'synced':
        this.store.settle();
        this.scheduleReceipts(this.store.conversationIds());
        return;
      case 'status':
        if (event.userId === this.userId) {
          if (event.seen !== null) this.store.setSeen(event.conversationId, event.seen);
        } else {
          this.store.setPeerReceipts(event.conversationId, event);
        }
        return;
      case 'conversations':
        for (const summary of event.conversations) {
          this.store.setPeerReceipts(summary.conversationId, summary.peerReceipts);
          this.setMuted(summary.conversationId, summary.muted);
        }
        return;
      case 'conversationMuted':
        this.setMuted(event.conversationId, event.muted);
        return;
      case 'messages':
        this.store.setPeerReceipts(event.conversationId, event.peerReceipts);
        return;
      case 'mediaUrl':
        this.store.setMediaUrl(event.conversationId, event.seq, event.url, event.urlExpiresAt);
        return;
      default:
        return;
    }
  }

  private setMuted(conversationId: string, muted: boolean): void {
    if (muted) this.mutedIds.add(conversationId);
    else this.mutedIds.delete(conversationId);
  }

  private receive(messages: readonly ChatMessage[], origin: Origin): ChatMessage[] {
    const added = this.store.add(messages, origin);
    const byConversation = new Map<string, ChatMessage[]>();
    for (const message of added) {
      const list = byConversation.get(message.conversationId) ?? [];
      list.push(message);
      byConversation.set(message.conversationId, list);
    }
    for (const [conversationId, list] of byConversation)
      this.emit('stored', { conversationId, messages: list });
    const touched = new Set(messages.map((message) => message.conversationId));
    this.scheduleReceipts(touched);
    for (const conversationId of touched) this.watchGap(conversationId);
    return added;
  }

  private scheduleReceipts(conversationIds: Iterable<string>): void {
    for (const conversationId of conversationIds) this.receiptsDue.add(conversationId);
    if (this.receiptTimer !== undefined || this.receiptsDue.size === 0) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = undefined;
      const due = [...this.receiptsDue];
      this.receiptsDue.clear();
      for (const conversationId of due) this.sendReceipts(conversationId);
    }, this.options.receiptDelayMs);
  }

  /**
   * One "seen" covers "delivered" as well, so an open conversation costs one receipt per burst.
   * Receipts owed while no socket is open go with the next change or connection.
   */
  private sendReceipts(conversationId: string): void {
    if (this.socket?.readyState !== OPEN) return;
    const seen = this.seenToReport.get(conversationId);
    const delivered = this.store.deliveredToReport(conversationId);
    if (seen !== undefined) this.sendReceipt(conversationId, 'seen', seen);
    if (delivered !== undefined && delivered > (seen ?? 0))
      this.sendReceipt(conversationId, 'delivered', delivered);
  }

  /** A hole in the seqs is usually a push overtaken by a later one; if it lasts, fetch what is missing. */
  private watchGap(conversationId: string): void {
    if (this.gapTimers.has(conversationId) || this.store.gapAfter(conversationId) === undefined) return;
    this.gapTimers.set(
      conversationId,
      setTimeout(() => {
        this.gapTimers.delete(conversationId);
        const after = this.store.gapAfter(conversationId);
        if (after === undefined) return;
        this.request('getMessages', { conversationId, after, limit: LIMITS.maxMessagesPage }).then(
          (page) => this.receive(page.messages, 'page'),
          (error: unknown) => {
            // Lost with the connection: the next sync starts at the hole, as no receipt passed it.
            if (!isDisconnected(error))
              console.warn(`could not fetch the messages missing in ${conversationId}`, error);
          },
        );
      }, this.options.gapWaitMs),
    );
  }
}

function toMessage(event: EventOf<'message'>): ChatMessage {
  const { type: _type, ...message } = event;
  return message;
}

/**
 * The server is trusted to send the frames of frames.ts; only the discriminant is checked here, so
 * that the browser bundle carries no schema library. API Gateway's own failure answer has no `type`:
 * it becomes an INTERNAL error without requestId (its requestId is API Gateway's, not ours).
 */
function parseServerEvent(data: unknown): ServerEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === 'string' ? data : String(data));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if ('type' in value && typeof value.type === 'string' && Object.hasOwn(SERVER_EVENT_TYPES, value.type)) {
    return value as ServerEvent;
  }
  if ('message' in value && typeof value.message === 'string') {
    return { type: 'error', code: 'INTERNAL', message: value.message };
  }
  return undefined;
}
