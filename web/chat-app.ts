import { ChatClient, type StateChange } from '../client/chat-client';
import { ChatClientError } from '../client/errors';
import { conversationIdOf, peerOf, randomId, USER_ID_PATTERN } from '../client/ids';
import { describeMedia, type OutgoingMedia } from '../client/media';
import { xhrUploader } from '../client/upload';
import { LIMITS } from '../contract/limits';
import type { ChatMessage, ConversationSummary, Presence } from '../contract/protocol/frames';
import { type ChatHost, ChatView, type FailedSend } from './chat-view';
import type { WebConfig } from './config';
import {
  type ConversationItem,
  ConversationList,
  type ListHost,
  type StartProblem,
} from './conversation-list';
import { h } from './dom';
import { connectionMessage, describeError, ERROR_MESSAGES } from './errors';
import { lastSeen } from './format';
import type { MediaSend } from './media-composer';
import { MediaSources } from './media-sources';
import { mediaSummary, showProgress } from './media-view';
import { Notifier } from './notifier';
import { PushNotifications } from './push';
import { forgetSaved, loadOutbox, saveDraft, saveOutbox } from './saved';
import { deviceId, type Session, SignInRequired } from './session';
import { SettingsView } from './settings-view';

interface Entry {
  conversationId: string;
  peer: string;
  lastMessage: ChatMessage | null;
  /** The conversation's last seq and the user's unread count at the last listConversations. */
  listedSeq: number;
  listedUnread: number;
}

const CHAT_ROUTE = /^#\/chat\/([^/]+)$/;
const TOAST_MS = 6000;

/**
 * The signed-in app: one ChatClient, the conversation list, the open conversation, the connection
 * banner and the error toasts. Routes are `#/chat/<peer>` so that the browser's back button and a
 * reload keep the open conversation.
 */
export class ChatApp implements ChatHost, ListHost {
  readonly client: ChatClient;
  readonly userId: string;
  private readonly entries = new Map<string, Entry>();
  private readonly presence = new Map<string, Presence>();
  private readonly typing = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly failed = new Map<string, FailedSend[]>();
  readonly media: MediaSources;
  /** Cancels each media message whose file is uploading, by messageId. */
  private readonly uploads = new Map<string, AbortController>();
  private nextCursor: string | null = null;
  private readonly list: ConversationList;
  private chat: ChatView | undefined;
  private readonly layout: HTMLElement;
  private readonly placeholder: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly toast: HTMLElement;
  private toastTimer: ReturnType<typeof setTimeout> | undefined;
  private countdown: ReturnType<typeof setInterval> | undefined;
  private readonly cleanups: (() => void)[] = [];
  private openedFromList = false;
  private readonly notifier: Notifier;
  private readonly push: PushNotifications;
  private settings: SettingsView | undefined;
  private signingOut = false;

  constructor(
    root: HTMLElement,
    config: WebConfig,
    session: Session,
    private readonly signedOut: (notice?: string) => void,
  ) {
    this.userId = session.userId;
    this.client = new ChatClient({
      url: config.wsUrl,
      userId: session.userId,
      deviceId: deviceId(),
      getToken: () => session.getToken(),
      WebSocket: globalThis.WebSocket,
      upload: xhrUploader(XMLHttpRequest),
    });
    this.media = new MediaSources(this.client, (conversationId) => this.refreshConversation(conversationId));
    this.notifier = new Notifier((peer) => this.open(peer));
    this.push = new PushNotifications(this.client, this.notifier, config.vapidPublicKey, {
      open: (conversationId) => this.openConversation(conversationId),
      showing: () =>
        this.chat && this.viewing(this.chat.conversationId) ? this.chat.conversationId : undefined,
    });
    this.list = new ConversationList(this);
    this.placeholder = h(
      'section',
      { class: 'screen placeholder' },
      h('p', {}, 'Choose a conversation, or start a new one.'),
    );
    this.layout = h('main', { class: 'layout' }, this.list.element, this.placeholder);
    this.banner = h('div', { class: 'banner', role: 'status', hidden: true });
    this.toast = h('div', { class: 'toast', role: 'alert', hidden: true });
    root.replaceChildren(this.banner, this.layout, this.toast);
  }

  run(): void {
    const { client } = this;
    this.cleanups.push(
      client.on('state', (change) => this.onState(change)),
      client.on('stored', ({ conversationId, messages }) => this.onStored(conversationId, messages)),
      client.on('outbox', ({ conversationId }) => {
        saveOutbox(this.userId, client.pending());
        this.refreshConversation(conversationId);
      }),
      client.on('status', ({ conversationId }) => this.refreshConversation(conversationId)),
      client.on('presence', ({ users }) => {
        for (const user of users) this.presence.set(user.userId, user);
        this.renderList();
        this.chat?.renderHeader();
      }),
      client.on('typing', (event) => this.onTyping(event.conversationId, event.state)),
      client.on('settings', (settings) => {
        if (settings.requestId === undefined && this.settings?.isOpen) this.settings.show(settings);
      }),
      client.on('conversationMuted', ({ conversationId }) => {
        this.renderList();
        if (this.chat?.conversationId === conversationId) this.chat.renderHeader();
      }),
      client.on('upload', (event) => {
        if (this.chat?.conversationId === event.conversationId)
          showProgress(this.chat.element, event.messageId, event);
      }),
      client.on('error', (event) => {
        // An error with a requestId answers a frame nobody waits for: a typing indicator, best effort.
        if (event.requestId === undefined) this.notify(new ChatClientError(event.code, event.message));
      }),
      listen(window, 'hashchange', () => this.route()),
      listen(window, 'online', () => client.reconnectNow()),
      listen(window, 'offline', () => client.disconnect('the browser went offline')),
      listen(document, 'visibilitychange', () => {
        this.renderList();
        // Heartbeats are minutes apart: a socket that died while the page was hidden is found now.
        if (document.visibilityState === 'visible') client.checkConnection();
      }),
      listen(document, 'keydown', (event) => {
        // Escape leaves the chat, unless it only meant to clear the "start a conversation" field.
        const inList = event.target instanceof Node && this.list.element.contains(event.target);
        if (event instanceof KeyboardEvent && event.key === 'Escape' && this.chat && !inList) this.back();
      }),
    );
    // Sent again with their messageIds: the server answers one it already stored with its first ack.
    for (const { messageId, to, text } of loadOutbox(this.userId)) this.send(to, text, messageId);
    this.renderList();
    this.openRequested();
    this.route();
    if (!this.chat) this.list.focusHeading();
    client.connect().catch(() => {
      // Rejects only when closed before the first connection, which signOut() reports itself.
    });
  }

  /** The user's sign-out, or a forced one with a `notice` (an expired session). */
  async signOut(notice?: string): Promise<void> {
    if (this.signingOut) return;
    this.signingOut = true;
    await this.push.signOut();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const timer of this.typing.values()) clearTimeout(timer);
    clearInterval(this.countdown);
    clearTimeout(this.toastTimer);
    this.chat?.destroy();
    this.client.close();
    this.media.dispose();
    history.replaceState(null, '', location.pathname + location.search);
    // A forced sign-out (an expired session) keeps drafts and unsent messages for the next sign-in.
    if (notice === undefined) forgetSaved(this.userId);
    this.signedOut(notice);
  }

  open(peer: string): void {
    const route = chatRoute(peer);
    // One history entry for the chats opened one after the other (side by side), so that Back returns to the list.
    if (this.chat) location.replace(route);
    else location.hash = route;
    this.openedFromList = true;
  }

  /** Back to the list: through the browser history when the list opened the chat, so Back stays in step. */
  back(): void {
    if (this.openedFromList) {
      this.openedFromList = false;
      history.back();
    } else {
      history.replaceState(null, '', location.pathname + location.search);
      this.route();
    }
  }

  /**
   * Checks that the user exists before opening the chat. The server has no "does X exist" action:
   * getPresence answers `hidden` both for a missing user and for one whose last-seen setting hides
   * them from us, and the product keeps those indistinguishable. So `online`/`offline` (or a known
   * conversation) opens the chat, and `hidden` asks the user to confirm; the first send is then the
   * check (UNKNOWN_RECIPIENT), and a refused first message leaves no row behind.
   */
  async startConversation(username: string, anyway: boolean): Promise<StartProblem | undefined> {
    const peer = username.trim().toLowerCase();
    if (peer === '') return { message: 'Enter the username of the person you want to write to.' };
    if (!USER_ID_PATTERN.test(peer)) {
      return {
        message:
          'That is not a username: 1 to 32 letters, digits, “.”, “_” or “-”, starting with a letter or digit.',
      };
    }
    if (peer === this.userId) return { message: ERROR_MESSAGES.SELF_SEND };
    if (!anyway && !this.entries.has(conversationIdOf(this.userId, peer))) {
      let state: string | undefined;
      try {
        const { users } = await this.client.getPresence([peer]);
        state = users.find((user) => user.userId === peer)?.state;
      } catch (error) {
        return { message: describeError(error) };
      }
      if (state !== 'online' && state !== 'offline') {
        return {
          unconfirmed: true,
          message: `No one named “${peer}” can be found, or they keep their presence private.`,
        };
      }
    }
    this.open(peer);
    return undefined;
  }

  /** Deletes the conversation for this user (the peer keeps theirs); a new message brings it back. */
  async removeConversation(conversationId: string): Promise<void> {
    try {
      await this.client.hideConversation(conversationId);
    } catch (error) {
      this.notify(error);
      return;
    }
    this.entries.delete(conversationId);
    this.client.store.forget(conversationId);
    saveDraft(this.userId, conversationId, '');
    if (this.chat?.conversationId === conversationId) this.back();
    this.renderList();
  }

  openSettings(): void {
    this.settings = new SettingsView(this.client, this.notifier, this.push, () => void this.signOut());
    this.settings.open();
  }

  async toggleMute(conversationId: string): Promise<void> {
    try {
      await this.client.muteConversation(conversationId, !this.client.isMuted(conversationId));
    } catch (error) {
      this.notify(error);
    }
  }

  /** A notification was clicked while the app was open (web/sw.ts). */
  private openConversation(conversationId: string): void {
    const peer = peerOf(conversationId, this.userId);
    if (peer !== '') this.open(peer);
  }

  /**
   * A notification clicked while no window was open opens `/?c=<conversationId>` (web/sw.ts): the
   * conversation's route replaces it, unless the conversation is not this user's (another user signed in).
   */
  private openRequested(): void {
    const requested = new URLSearchParams(location.search).get('c');
    if (requested === null) return;
    const peer = peerOf(requested, this.userId);
    history.replaceState(null, '', location.pathname + (peer === '' ? '' : chatRoute(peer)));
  }

  /** After the user's first message: they are engaged, and a prompt now makes sense to them. */
  private offerNotifications(): void {
    if (!this.notifier.shouldOffer) return;
    const yes = h('button', { type: 'button', class: 'primary' }, 'Turn on');
    const no = h('button', { type: 'button', class: 'ghost' }, 'Not now');
    const offer = h(
      'div',
      { class: 'offer', role: 'region', 'aria-label': 'Notifications' },
      h('p', {}, 'Get a notification when a message arrives?'),
      yes,
      no,
    );
    yes.addEventListener('click', () => {
      offer.remove();
      void (this.push.status.state === 'unavailable' ? this.notifier.ask() : this.push.turnOn());
    });
    no.addEventListener('click', () => {
      offer.remove();
      this.notifier.decline();
    });
    this.list.showOffer(offer);
  }

  loadMore(): void {
    if (this.nextCursor) void this.loadConversations(this.nextCursor);
  }

  send(peer: string, text: string, messageId = randomId()): void {
    const conversationId = conversationIdOf(this.userId, peer);
    const message = { messageId, conversationId, to: peer, text, queuedAt: Date.now() };
    this.ensureEntry(conversationId);
    this.offerNotifications();
    this.client.sendMessage(peer, text, message.messageId).catch((error: unknown) => {
      if (error instanceof ChatClientError && error.code === 'CLOSED') return;
      // No such user: no row stays in the list for them; the chat shows why the message did not go.
      if (error instanceof ChatClientError && error.code === 'UNKNOWN_RECIPIENT') {
        if (this.client.store.messages(conversationId).length === 0) this.entries.delete(conversationId);
      }
      this.failed.set(conversationId, [
        ...this.failedSends(conversationId),
        { message, reason: describeError(error) },
      ]);
      this.refreshConversation(conversationId);
    });
  }

  sendMedia(peer: string, { file, caption, facts }: MediaSend): void {
    const conversationId = conversationIdOf(this.userId, peer);
    const messageId = randomId();
    const { kind, width, height, durationMs, preview } = facts;
    const input = {
      to: peer,
      file,
      kind,
      ...(caption !== '' && { caption }),
      ...(width !== undefined && { width }),
      ...(height !== undefined && { height }),
      ...(durationMs !== undefined && { durationMs }),
      ...(preview !== undefined && { preview }),
      messageId,
    };
    let media: OutgoingMedia;
    try {
      media = describeMedia(input);
    } catch (error) {
      this.notify(error);
      return;
    }
    const controller = new AbortController();
    this.uploads.set(messageId, controller);
    this.media.remember(messageId, file);
    this.ensureEntry(conversationId);
    this.client
      .sendMedia({ ...input, signal: controller.signal })
      .catch((error: unknown) => {
        if (error instanceof ChatClientError && (error.code === 'CLOSED' || error.code === 'CANCELLED')) {
          this.media.forget(messageId);
          return;
        }
        const message = { messageId, conversationId, to: peer, text: caption, media, queuedAt: Date.now() };
        this.failed.set(conversationId, [
          ...this.failedSends(conversationId),
          { message, reason: describeError(error) },
        ]);
      })
      .finally(() => {
        this.uploads.delete(messageId);
        this.refreshConversation(conversationId);
      });
  }

  cancelUpload(messageId: string): void {
    this.uploads.get(messageId)?.abort();
  }

  refuse(reason: string): void {
    this.notify(reason);
  }

  failedSends(conversationId: string): readonly FailedSend[] {
    return this.failed.get(conversationId) ?? [];
  }

  forgetFailed(conversationId: string, messageId: string): void {
    this.media.forget(messageId);
    this.failed.set(
      conversationId,
      this.failedSends(conversationId).filter((failure) => failure.message.messageId !== messageId),
    );
    this.refreshConversation(conversationId);
  }

  peerLine(conversationId: string): string {
    if (this.typing.has(conversationId)) return 'typing…';
    const presence = this.presenceOf(peerOf(conversationId, this.userId));
    if (presence?.state === 'online') return 'online';
    if (presence?.state === 'offline' && presence.lastSeen !== undefined) return lastSeen(presence.lastSeen);
    return '';
  }

  /** Presence is known only while connected: without a connection its changes no longer arrive. */
  private presenceOf(userId: string): Presence | undefined {
    return this.client.state === 'open' ? this.presence.get(userId) : undefined;
  }

  private onState(change: StateChange): void {
    clearInterval(this.countdown);
    if (change.tokenError instanceof SignInRequired) {
      void this.signOut(change.tokenError.message);
      return;
    }
    this.renderList();
    this.chat?.renderHeader();
    if (change.state === 'open') {
      this.banner.hidden = true;
      this.push.connected();
      void this.catchUp();
      return;
    }
    if (change.state === 'closed') return;
    const offline = !navigator.onLine;
    const retryAt = Date.now() + (change.retryInMs ?? 0);
    const show = () => {
      const seconds = Math.ceil((retryAt - Date.now()) / 1000);
      const text = connectionMessage(
        offline ? 'offline' : change.state === 'connecting' ? 'connecting' : 'reconnecting',
        seconds,
      );
      const retry = h('button', { type: 'button', class: 'link' }, 'Retry now');
      retry.addEventListener('click', () => this.client.reconnectNow());
      this.banner.replaceChildren(
        h('span', {}, text),
        change.retryInMs !== undefined && !offline ? retry : '',
      );
    };
    // A connection that comes back within a second is not worth a flash of red.
    const quiet = change.state === 'reconnecting' && change.attempt === 0;
    this.banner.hidden = quiet && this.banner.hidden;
    show();
    this.countdown = setInterval(() => {
      this.banner.hidden = false;
      show();
    }, 1000);
  }

  /**
   * After every (re)connect: the server syncs this device by itself; the list and the open
   * conversation are read again for what changed meanwhile (receipts, presence, new conversations).
   */
  private async catchUp(): Promise<void> {
    await this.loadConversations();
    if (!this.chat) return;
    // What we knew of the peer's presence may have changed while we were away.
    await this.client.getPresence([this.chat.peer]).catch((error: unknown) => this.notify(error));
    // The conversation may have been closed while the presence was asked for.
    await this.chat?.start();
  }

  private async loadConversations(cursor?: string): Promise<void> {
    let page: Awaited<ReturnType<ChatClient['listConversations']>>;
    try {
      page = await this.client.listConversations({ limit: 50, ...(cursor && { cursor }) });
    } catch (error) {
      this.notify(error);
      return;
    }
    for (const summary of page.conversations) this.listed(summary);
    this.nextCursor = page.nextCursor;
    this.renderList();
  }

  private listed(summary: ConversationSummary): void {
    const known = this.entries.get(summary.conversationId);
    const newer = known?.lastMessage && known.lastMessage.seq > (summary.lastMessage?.seq ?? 0);
    this.entries.set(summary.conversationId, {
      conversationId: summary.conversationId,
      peer: summary.peer,
      lastMessage: newer ? (known?.lastMessage ?? null) : summary.lastMessage,
      listedSeq: summary.lastSeq,
      listedUnread: summary.unread,
    });
    this.presence.set(summary.peer, summary.peerPresence);
  }

  private ensureEntry(conversationId: string): Entry {
    let entry = this.entries.get(conversationId);
    if (!entry) {
      entry = {
        conversationId,
        peer: peerOf(conversationId, this.userId),
        lastMessage: null,
        listedSeq: 0,
        listedUnread: 0,
      };
      this.entries.set(conversationId, entry);
    }
    return entry;
  }

  private onStored(conversationId: string, messages: ChatMessage[]): void {
    const entry = this.ensureEntry(conversationId);
    const newest = messages.at(-1);
    if (newest && newest.seq > (entry.lastMessage?.seq ?? 0)) {
      entry.lastMessage = newest;
      // A new message from the peer, not read on another device and not on screen here.
      const unseen = newest.seq > this.client.store.seenUpTo(conversationId);
      if (newest.from === entry.peer && unseen && !this.viewing(conversationId)) {
        this.notifier.incoming(
          entry.peer,
          newest.media ? mediaSummary(newest.media, newest.text) : newest.text,
        );
      }
    }
    if (messages.some((message) => message.from === entry.peer)) this.onTyping(conversationId, 'stopped');
    if (!this.presence.has(entry.peer) && this.client.state === 'open') {
      this.client.getPresence([entry.peer]).catch((error: unknown) => this.notify(error));
    }
    this.refreshConversation(conversationId);
  }

  private onTyping(conversationId: string, state: 'typing' | 'stopped'): void {
    clearTimeout(this.typing.get(conversationId));
    this.typing.delete(conversationId);
    // The event's expiresAt is on the server's clock; the client's may differ, so the documented
    // time to live is counted from now instead.
    if (state === 'typing')
      this.typing.set(
        conversationId,
        setTimeout(() => this.onTyping(conversationId, 'stopped'), LIMITS.typingTtlMs),
      );
    this.renderList();
    if (this.chat?.conversationId === conversationId) this.chat.renderHeader();
  }

  private refreshConversation(conversationId: string): void {
    this.renderList();
    if (this.chat?.conversationId === conversationId) this.chat.render();
  }

  private viewing(conversationId: string): boolean {
    return this.chat?.conversationId === conversationId && document.visibilityState === 'visible';
  }

  /**
   * Unread: what the list said, unless this user has since seen past it, plus the peer's messages that
   * arrived after the list and are not seen. Counting from the store makes it idempotent: a message
   * that arrives twice, or both in the list and in a sync, counts once.
   */
  private unread(entry: Entry): number {
    if (this.viewing(entry.conversationId)) return 0;
    const seen = this.client.store.seenUpTo(entry.conversationId);
    const listed = seen >= entry.listedSeq ? 0 : entry.listedUnread;
    const since = this.client.store
      .messages(entry.conversationId)
      .filter(
        (message) => message.from === entry.peer && message.seq > entry.listedSeq && message.seq > seen,
      );
    return listed + since.length;
  }

  private renderList(): void {
    const items: ConversationItem[] = [...this.entries.values()]
      .sort(
        (a, b) =>
          (b.lastMessage?.sentAt ?? Number.MAX_SAFE_INTEGER) -
          (a.lastMessage?.sentAt ?? Number.MAX_SAFE_INTEGER),
      )
      .map((entry) => {
        const last = entry.lastMessage;
        return {
          conversationId: entry.conversationId,
          peer: entry.peer,
          ...(last && {
            last: {
              text: last.media ? mediaSummary(last.media, last.text) : last.text,
              time: last.sentAt,
              mine: last.from === this.userId,
              status: this.client.store.statusOf(last),
            },
          }),
          unread: this.unread(entry),
          muted: this.client.isMuted(entry.conversationId),
          online: this.presenceOf(entry.peer)?.state === 'online',
          typing: this.typing.has(entry.conversationId),
        };
      });
    this.list.render(items, this.nextCursor !== null, this.chat?.conversationId);
    this.notifier.showUnread(items.reduce((sum, item) => sum + item.unread, 0));
  }

  /** Shows the conversation the URL names, or the list alone. */
  private route(): void {
    const match = CHAT_ROUTE.exec(location.hash);
    const peer = match?.[1] ? decodeURIComponent(match[1]) : undefined;
    if (peer === this.chat?.peer) return;
    const leaving = this.chat?.conversationId;
    this.chat?.destroy();
    this.chat = undefined;
    if (peer === undefined || !USER_ID_PATTERN.test(peer) || peer === this.userId) {
      this.openedFromList = false;
      this.layout.replaceChildren(this.list.element, this.placeholder);
      this.layout.classList.remove('chat-open');
      this.renderList();
      if (leaving) this.list.focus(leaving);
      return;
    }
    const chat = new ChatView(this, conversationIdOf(this.userId, peer), peer);
    this.chat = chat;
    this.push.dismiss(chat.conversationId);
    this.layout.replaceChildren(this.list.element, chat.element);
    this.layout.classList.add('chat-open');
    this.renderList();
    chat.focus();
    if (this.client.state === 'open') {
      if (!this.presence.has(peer))
        this.client.getPresence([peer]).catch((error: unknown) => this.notify(error));
      chat.start().catch((error: unknown) => this.notify(error));
    } else {
      chat.render();
      chat.renderHeader();
    }
  }

  private notify(error: unknown): void {
    const message = typeof error === 'string' ? error : describeError(error);
    if (message === ERROR_MESSAGES.DISCONNECTED) return; // the banner already says so
    clearTimeout(this.toastTimer);
    this.toast.textContent = message;
    this.toast.hidden = false;
    this.toastTimer = setTimeout(() => {
      this.toast.hidden = true;
    }, TOAST_MS);
  }
}

function chatRoute(peer: string): string {
  return `#/chat/${encodeURIComponent(peer)}`;
}

function listen(target: EventTarget, type: string, listener: (event: Event) => void): () => void {
  target.addEventListener(type, listener);
  return () => target.removeEventListener(type, listener);
}
