import type { ChatClient } from '../client/chat-client';
import type { OutgoingMessage } from '../client/outbox';
import { LIMITS } from '../contract/limits';
import type { ChatMessage, MessageStatus } from '../contract/protocol/frames';
import { avatar, h, icon, linkified, srOnly } from './dom';
import { describeError } from './errors';
import { clockTime, dayLabel, fullTime } from './format';
import { MediaComposer, type MediaSend } from './media-composer';
import type { MediaSources } from './media-sources';
import { keepKeysInside, type MediaActions, mediaNode, type ShownMedia, uploadNode } from './media-view';
import { loadDraft, saveDraft } from './saved';
import { VoiceRecorder } from './voice-recorder';

/** A send the server refused for good; kept on screen until the user retries or deletes it. */
export interface FailedSend {
  message: OutgoingMessage;
  reason: string;
}

export interface ChatHost {
  readonly client: ChatClient;
  /** "online", "last seen …", "typing…" or "". */
  peerLine(conversationId: string): string;
  failedSends(conversationId: string): readonly FailedSend[];
  send(peer: string, text: string): void;
  readonly media: MediaSources;
  sendMedia(peer: string, media: MediaSend): void;
  cancelUpload(messageId: string): void;
  /** Says why something cannot be done (a file that cannot be sent, no microphone). */
  refuse(reason: string): void;
  forgetFailed(conversationId: string, messageId: string): void;
  removeConversation(conversationId: string): Promise<void>;
  /** Mutes the conversation's push notifications, or unmutes them. */
  toggleMute(conversationId: string): Promise<void>;
  back(): void;
}

type Shown = 'pending' | 'failed' | MessageStatus;

interface Row {
  key: string;
  id: string;
  /** The stored message's seq; none while it is on its way. */
  seq?: number;
  from: string;
  time: number;
  text: string;
  mine: boolean;
  status: Shown;
  failure?: FailedSend;
  media?: { shown: ShownMedia; actions?: MediaActions; uploading?: { messageId: string; total: number } };
}

const STATUS_LABELS: Record<Shown, string> = {
  pending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  seen: 'Seen',
};
const STATUS_ICONS = {
  pending: 'clock',
  failed: 'alert',
  sent: 'check',
  delivered: 'checks',
  seen: 'checks',
} as const;

/** Media of messages still on their way load from memory and need no renewal. */
const NO_ACTIONS: MediaActions = { failed: () => {}, reload: () => {} };

/** Typing indicators are re-sent this often while the user types, well inside their 6 s expiry. */
const TYPING_REPEAT_MS = 3000;
/** The user counts as having stopped typing after this long without a key. */
const TYPING_IDLE_MS = 4000;
/** Messages of one sender this close together form a group: one tail, tighter spacing. */
const GROUP_MS = 5 * 60 * 1000;
/** Within this distance of the end, the view counts as scrolled to the newest message. */
const BOTTOM_SLACK_PX = 48;

/**
 * One conversation: its history (older pages load as the user scrolls up), pending and failed sends,
 * ticks, the peer's presence and typing in the header, and the composer.
 */
export class ChatView {
  readonly element: HTMLElement;
  private readonly log: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly historyState: HTMLElement;
  private readonly presence: HTMLElement;
  private readonly mute: HTMLButtonElement;
  private readonly composer: HTMLTextAreaElement;
  private readonly counter: HTMLElement;
  private readonly files: MediaComposer;
  private readonly recorder: VoiceRecorder;
  private readonly rows = new Map<string, { element: HTMLElement; signature: string }>();
  /**
   * Media elements by messageId, moved into a row's new node when only its ticks or text changed, so a
   * render never restarts a playing video, a loaded image or the element that has the focus.
   */
  private readonly mediaNodes = new Map<string, { element: HTMLElement; signature: string }>();
  private loadingHistory = false;
  private historyError: unknown;
  private typingSentAt = 0;
  /** UTF-16 units of the last paste that did not fit the composer, said once in the counter. */
  private pasteCut = 0;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private readonly onVisibility = () => this.markSeen();
  /** The peer's messages at least partly on screen, by row element. */
  private readonly onScreen = new Set<Element>();
  private readonly observed = new Set<Element>();
  private readonly watcher: IntersectionObserver;
  /** The highest seq of the peer's messages this view displayed. */
  private displayedUpTo = 0;
  /**
   * The "N unread messages" divider goes after this seq, fixed when the conversation's messages are
   * first shown; undefined for none.
   */
  private unreadAfter: number | undefined;
  /** How many were unread then: the divider's count does not grow while the user reads on. */
  private unreadCount = 0;
  /** True once the view landed: at the first unread message, or else at the newest. */
  private landed = false;
  private readonly jump: HTMLButtonElement;

  constructor(
    private readonly host: ChatHost,
    readonly conversationId: string,
    readonly peer: string,
  ) {
    const back = h(
      'button',
      { type: 'button', class: 'icon-button back', 'aria-label': 'Back to conversations' },
      icon('back'),
    );
    back.addEventListener('click', () => host.back());
    const remove = h(
      'button',
      { type: 'button', class: 'icon-button remove', 'aria-label': `Delete chat with ${peer}` },
      icon('trash'),
    );
    remove.addEventListener('click', () => this.confirmRemove());
    this.mute = h('button', {
      type: 'button',
      class: 'icon-button mute',
      'aria-label': 'Mute notifications',
      'aria-pressed': 'false',
    });
    this.mute.addEventListener('click', () => void host.toggleMute(conversationId));
    this.presence = h('p', { class: 'presence', id: 'chat-presence' });
    this.historyState = h('div', { class: 'history-state' });
    this.list = h('ol', { class: 'messages' });
    this.log = h(
      'div',
      {
        class: 'log',
        role: 'log',
        'aria-label': `Messages with ${peer}`,
        'aria-live': 'polite',
        tabindex: 0,
      },
      this.historyState,
      this.list,
    );
    this.log.addEventListener('scroll', () => {
      // After a failure only "Try again" retries, so that scrolling does not hammer the server.
      if (this.log.scrollTop < 120 && this.historyError === undefined) void this.loadOlder();
      this.renderJump();
    });
    // A message counts as displayed once it is 24 px into the visible part of the log.
    this.watcher = new IntersectionObserver(
      (entries) => {
        for (const entry of entries) {
          if (entry.isIntersecting) this.onScreen.add(entry.target);
          else this.onScreen.delete(entry.target);
        }
        this.markSeen();
      },
      { root: this.log, rootMargin: '0px 0px -24px 0px' },
    );
    this.jump = h('button', { type: 'button', class: 'jump', hidden: true });
    this.jump.addEventListener('click', () => this.jumpToNew());
    this.composer = h('textarea', {
      id: 'composer',
      rows: 1,
      maxlength: LIMITS.maxTextLength,
      placeholder: 'Message',
      enterkeyhint: 'send',
      autocomplete: 'off',
      'aria-describedby': 'composer-counter',
    });
    this.counter = h('p', { class: 'counter', id: 'composer-counter', 'aria-live': 'polite' });
    this.files = new MediaComposer(peer, {
      sendMedia: (media) => host.sendMedia(peer, media),
      refuse: (reason) => host.refuse(reason),
    });
    this.recorder = new VoiceRecorder({
      sendVoice: (file, durationMs) =>
        host.sendMedia(peer, { file, caption: '', facts: { kind: 'audio', durationMs } }),
      refuse: (reason) => host.refuse(reason),
      recording: (on) => form.classList.toggle('recording', on),
    });
    const form = h(
      'form',
      { class: 'composer', 'aria-label': 'Write a message' },
      this.files.attach,
      this.files.picker,
      h('label', { for: 'composer', class: 'sr-only' }, `Message to ${peer}`),
      this.composer,
      this.recorder.button,
      h('button', { type: 'submit', class: 'send', 'aria-label': 'Send' }, icon('send')),
      this.recorder.bar,
      this.counter,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.composer.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter breaks the line; an IME composing text keeps its Enter.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.composer.addEventListener('input', () => this.onInput());
    // The composer's maxlength cuts a paste silently; count what falls off to say so.
    this.composer.addEventListener('paste', (event) => {
      const pasted = event.clipboardData?.getData('text/plain') ?? '';
      const box = this.composer;
      const kept = box.value.length - (box.selectionEnd - box.selectionStart);
      this.pasteCut = Math.max(0, kept + pasted.length - LIMITS.maxTextLength);
    });
    this.composer.value = loadDraft(host.client.userId, conversationId);
    this.element = h(
      'section',
      { class: 'screen chat-screen', 'aria-labelledby': 'chat-title' },
      h(
        'header',
        { class: 'bar chat-bar' },
        back,
        avatar(peer),
        h('div', { class: 'who' }, h('h1', { id: 'chat-title' }, peer), this.presence),
        this.mute,
        remove,
      ),
      h('div', { class: 'log-frame' }, this.log, this.jump),
      form,
    );
    this.files.listen(this.element, this.composer);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** Shows what the store holds, and loads the newest page of history if it was never loaded. */
  async start(): Promise<void> {
    this.render();
    this.renderHeader();
    if (!this.host.client.store.history(this.conversationId).loaded) await this.loadOlder();
  }

  /** Focuses the composer, sized to a restored draft, with the caret at its end. */
  focus(): void {
    this.resizeComposer();
    this.composer.focus();
    this.composer.setSelectionRange(this.composer.value.length, this.composer.value.length);
  }

  destroy(): void {
    this.recorder.destroy();
    this.files.close();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.watcher.disconnect();
    this.stopTyping();
  }

  renderHeader(): void {
    this.presence.textContent = this.host.peerLine(this.conversationId);
    const muted = this.host.client.isMuted(this.conversationId);
    this.mute.setAttribute('aria-pressed', String(muted));
    this.mute.title = muted ? 'Muted: no push notifications from this chat' : 'Mute notifications';
    this.mute.replaceChildren(icon(muted ? 'bell-off' : 'bell'));
  }

  /**
   * Brings the list in line with the store, the outbox and the failed sends, reusing the nodes of rows
   * that did not change. Stays at the newest message if the user was there; `keepBottomOffset` keeps
   * what the user is reading in place while older messages are added above it.
   */
  render({ keepBottomOffset = false } = {}): void {
    // A rebuilt row takes its media element along, and moving an element drops its focus.
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const atBottom = this.atBottom();
    const fromBottom = this.log.scrollHeight - this.log.scrollTop;
    const wanted: HTMLElement[] = [];
    const used = new Set<string>();
    let day = '';
    const rows = this.rowsToShow();
    this.fixUnreadDivider(rows);
    const { unreadAfter } = this;
    const unread =
      unreadAfter === undefined
        ? []
        : rows.filter((row) => this.isPeers(row) && (row.seq ?? 0) > unreadAfter);
    let previous: Row | undefined;
    for (const row of rows) {
      const grouped =
        previous !== undefined &&
        previous.from === row.from &&
        row !== unread[0] &&
        dayLabel(previous.time) === dayLabel(row.time) &&
        row.time - previous.time < GROUP_MS;
      previous = row;
      const label = dayLabel(row.time);
      if (label !== day) {
        day = label;
        wanted.push(
          this.node(`day:${label}`, label, () => h('li', { class: 'day' }, h('span', {}, label)), used),
        );
      }
      if (row === unread[0]) {
        const count = this.unreadCount;
        const text = count === 1 ? '1 unread message' : `${count} unread messages`;
        wanted.push(
          this.node('unread', text, () => h('li', { class: 'unread-divider' }, h('span', {}, text)), used),
        );
      }
      const media =
        row.media &&
        `${row.media.shown.src}|${row.media.shown.broken}|${row.media.shown.version}|${row.media.uploading?.total}`;
      wanted.push(
        this.node(
          row.key,
          `${row.status}|${row.text}|${media}|${grouped}`,
          () => this.messageNode(row, grouped),
          used,
        ),
      );
    }
    for (const key of this.rows.keys()) if (!used.has(key)) this.rows.delete(key);
    reconcile(this.list, wanted);
    if (focused instanceof HTMLElement && focused.isConnected && document.activeElement !== focused) {
      focused.focus({ preventScroll: true });
    }
    for (const [id, node] of this.mediaNodes) if (!node.element.isConnected) this.mediaNodes.delete(id);
    this.watchPeerRows();
    this.renderHistoryState();
    if (!this.landed && this.unreadAfter !== undefined) {
      this.land();
      this.markSeen();
    } else if (keepBottomOffset) this.log.scrollTop = this.log.scrollHeight - fromBottom;
    else if (atBottom) this.scrollToEnd();
    this.renderJump();
  }

  /**
   * Fixed once, when the first messages are shown: the divider marks what was unread when the user
   * opened the conversation, and stays there while it is open, as the user reads on.
   */
  private fixUnreadDivider(rows: readonly Row[]): void {
    // Before the newest page is loaded, the store may hold a pushed message but not the ones before it.
    const { loaded } = this.host.client.store.history(this.conversationId);
    if (this.unreadAfter !== undefined || !loaded) return;
    const seen = this.host.client.store.seenUpTo(this.conversationId);
    this.unreadCount = rows.filter((row) => this.isPeers(row) && (row.seq ?? 0) > seen).length;
    this.unreadAfter = this.unreadCount > 0 ? seen : Number.POSITIVE_INFINITY;
  }

  /** Opens at the first unread message, under the divider, or at the newest when all were read. */
  private land(): void {
    this.landed = true;
    const divider = this.list.querySelector<HTMLElement>('.unread-divider');
    if (divider) this.log.scrollTop = divider.offsetTop - this.log.offsetTop - 8;
    else this.scrollToEnd();
  }

  private isPeers(row: Row): boolean {
    return row.from === this.peer && row.seq !== undefined;
  }

  /** Observes the rows of the peer's messages, and forgets those a render took away. */
  private watchPeerRows(): void {
    for (const element of this.observed) {
      if (element.isConnected) continue;
      this.watcher.unobserve(element);
      this.observed.delete(element);
      this.onScreen.delete(element);
    }
    for (const element of this.list.querySelectorAll('.msg.theirs[data-seq]')) {
      if (this.observed.has(element)) continue;
      this.observed.add(element);
      this.watcher.observe(element);
    }
  }

  /** The peer's messages not yet displayed, below what the user is reading. */
  private unseenBelow(): ChatMessage[] {
    const after = Math.max(this.displayedUpTo, this.host.client.store.seenUpTo(this.conversationId));
    return this.host.client.store
      .messages(this.conversationId)
      .filter((message) => message.from === this.peer && message.seq > after);
  }

  /** "↓ N new" while the user reads above messages they have not seen yet. */
  private renderJump(): void {
    const count = this.atBottom() ? 0 : this.unseenBelow().length;
    this.jump.hidden = count === 0;
    this.jump.textContent = `↓ ${count} new`;
    this.jump.setAttribute('aria-label', count === 1 ? '1 new message' : `${count} new messages`);
  }

  private jumpToNew(): void {
    const first = this.unseenBelow()[0];
    const row = first && this.list.querySelector<HTMLElement>(`.msg[data-seq="${first.seq}"]`);
    if (row) this.log.scrollTop = row.offsetTop - this.log.offsetTop - 8;
    else this.scrollToEnd();
    this.composer.focus();
  }

  scrollToEnd(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  /** Loads the next page of older messages, until the view is full or the history ends. */
  async loadOlder(): Promise<void> {
    const { client } = this.host;
    const history = client.store.history(this.conversationId);
    if (this.loadingHistory || (history.loaded && !history.hasMore)) return;
    this.loadingHistory = true;
    this.historyError = undefined;
    this.renderHistoryState();
    try {
      await client.loadHistory(this.conversationId);
    } catch (error) {
      this.historyError = error;
    } finally {
      this.loadingHistory = false;
    }
    this.render({ keepBottomOffset: history.loaded });
    const now = client.store.history(this.conversationId);
    if (this.historyError === undefined && now.hasMore && this.log.scrollTop < 120) await this.loadOlder();
  }

  private rowsToShow(): Row[] {
    const { client } = this.host;
    const stored = client.store.messages(this.conversationId);
    const storedIds = new Set(stored.map((message) => message.messageId));
    const { media } = this.host;
    const rows: Row[] = stored.map((message) => ({
      key: `m:${message.seq}`,
      id: message.messageId,
      seq: message.seq,
      from: message.from,
      time: message.sentAt,
      text: message.text,
      mine: message.from === client.userId,
      status: client.store.statusOf(message),
      ...(message.media && {
        media: {
          shown: media.ofMessage({ ...message, media: message.media }),
          actions: media.actions(message),
        },
      }),
    }));
    for (const message of client.pending(this.conversationId)) {
      if (storedIds.has(message.messageId)) continue;
      const progress = client.uploadProgress(message.messageId);
      rows.push({
        key: `p:${message.messageId}`,
        id: message.messageId,
        from: client.userId,
        time: message.queuedAt,
        text: message.text,
        mine: true,
        status: 'pending',
        ...(message.media && {
          media: {
            shown: media.ofOutgoing(message.messageId, message.media),
            ...(progress && { uploading: { messageId: message.messageId, total: progress.total } }),
          },
        }),
      });
    }
    for (const failure of this.host.failedSends(this.conversationId)) {
      const { message } = failure;
      rows.push({
        key: `f:${message.messageId}`,
        id: message.messageId,
        from: client.userId,
        time: message.queuedAt,
        text: message.text,
        mine: true,
        status: 'failed',
        failure,
        ...(message.media && { media: { shown: media.ofOutgoing(message.messageId, message.media) } }),
      });
    }
    return rows;
  }

  private node(key: string, signature: string, build: () => HTMLElement, used: Set<string>): HTMLElement {
    used.add(key);
    const existing = this.rows.get(key);
    if (existing && existing.signature === signature) return existing.element;
    const element = build();
    element.dataset.key = key;
    if (existing) existing.element.replaceWith(element);
    this.rows.set(key, { element, signature });
    return element;
  }

  private messageNode(row: Row, grouped: boolean): HTMLElement {
    const time = new Date(row.time);
    const meta = h(
      'span',
      { class: 'meta' },
      h('time', { datetime: time.toISOString() }, clockTime(row.time)),
      row.mine &&
        h(
          'span',
          { class: `tick tick-${row.status}`, title: STATUS_LABELS[row.status] },
          icon(STATUS_ICONS[row.status]),
          srOnly(STATUS_LABELS[row.status]),
        ),
    );
    const { media } = row;
    const uploading = media?.uploading;
    // The time and ticks float at the end of the text: beside a short last line, under a full one.
    const text = h('p', { class: 'msg-text' }, ...linkified(row.text), !media && meta);
    const bubble = h(
      'div',
      { class: media ? 'bubble has-media' : 'bubble', title: fullTime(row.time) },
      srOnly(row.mine ? 'You: ' : `${this.peer}: `),
      media && this.mediaElement(row.id, media, row.text),
      uploading &&
        uploadNode(
          uploading.messageId,
          this.host.client.uploadProgress(uploading.messageId) ?? { loaded: 0, total: uploading.total },
          () => this.host.cancelUpload(uploading.messageId),
        ),
      (!media || row.text !== '') && text,
      media && meta,
    );
    return h(
      'li',
      {
        class: `msg ${row.mine ? 'mine' : 'theirs'}${grouped ? ' grouped' : ''}`,
        'data-status': row.mine ? row.status : undefined,
        'data-seq': row.seq,
        'data-kind': media?.shown.kind,
      },
      bubble,
      row.failure && this.failureNode(row.failure),
    );
  }

  private mediaElement(messageId: string, media: NonNullable<Row['media']>, caption: string): HTMLElement {
    const { src, broken, version } = media.shown;
    const signature = `${src}|${broken}|${version}|${caption}`;
    const existing = this.mediaNodes.get(messageId);
    if (existing?.signature === signature) return existing.element;
    const element = mediaNode(media.shown, media.actions ?? NO_ACTIONS, caption);
    this.mediaNodes.set(messageId, { element, signature });
    return element;
  }

  /** Deleting clears the history for this user only, so it asks first. */
  private confirmRemove(): void {
    const cancel = h('button', { type: 'button', class: 'ghost' }, 'Cancel');
    const confirm = h('button', { type: 'submit', class: 'primary danger' }, 'Delete');
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'remove-title' }, `Delete chat with ${this.peer}?`),
      h(
        'p',
        {},
        `Its messages are deleted for you; ${this.peer} keeps theirs. A new message starts it again.`,
      ),
      h('div', { class: 'row' }, cancel, confirm),
    );
    const dialog = h('dialog', { class: 'sheet', 'aria-labelledby': 'remove-title' }, form);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      dialog.close();
      void this.host.removeConversation(this.conversationId);
    });
    cancel.addEventListener('click', () => dialog.close());
    keepKeysInside(dialog);
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  }

  private failureNode(failure: FailedSend): HTMLElement {
    const retry = h('button', { type: 'button', class: 'link' }, 'Try again');
    const remove = h('button', { type: 'button', class: 'link' }, 'Delete');
    retry.addEventListener('click', () => {
      const { messageId, text, media } = failure.message;
      this.host.forgetFailed(this.conversationId, messageId);
      if (!media) {
        this.host.send(this.peer, text);
        return;
      }
      const { file, kind, width, height, durationMs, preview } = media;
      this.host.sendMedia(this.peer, {
        file,
        caption: text,
        facts: { kind, width, height, durationMs, preview },
      });
    });
    remove.addEventListener('click', () =>
      this.host.forgetFailed(this.conversationId, failure.message.messageId),
    );
    return h('p', { class: 'failure', role: 'alert' }, `Not sent: ${failure.reason} `, retry, ' ', remove);
  }

  private renderHistoryState(): void {
    const history = this.host.client.store.history(this.conversationId);
    if (this.loadingHistory) {
      this.historyState.replaceChildren(h('p', {}, 'Loading messages…'));
    } else if (this.historyError !== undefined) {
      const retry = h('button', { type: 'button', class: 'link' }, 'Try again');
      retry.addEventListener('click', () => void this.loadOlder());
      this.historyState.replaceChildren(
        h(
          'p',
          { class: 'form-error' },
          `Earlier messages could not be loaded. ${describeError(this.historyError)} `,
          retry,
        ),
      );
    } else if (history.loaded && !history.hasMore) {
      this.historyState.replaceChildren(
        h('p', {}, `This is the start of your conversation with ${this.peer}.`),
      );
    } else {
      const more = h('button', { type: 'button', class: 'link' }, 'Load older messages');
      more.addEventListener('click', () => void this.loadOlder());
      this.historyState.replaceChildren(more);
    }
  }

  private atBottom(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < BOTTOM_SLACK_PX;
  }

  /**
   * The peer's messages count as seen once displayed: on screen while the page is visible. The
   * receipt is a watermark, so it reports the newest one displayed.
   */
  private markSeen(): void {
    // Until the view has landed, the unread divider is not placed yet: marking rows seen now would move
    // this user's watermark under it (the client counts a "seen" at once), and the divider would vanish.
    if (document.visibilityState !== 'visible' || !this.landed) return;
    let newest = 0;
    for (const element of this.onScreen) {
      newest = Math.max(newest, Number((element as HTMLElement).dataset.seq));
    }
    if (newest <= this.displayedUpTo) return;
    this.displayedUpTo = newest;
    this.host.client.markSeen(this.conversationId, newest);
    this.renderJump();
  }

  private submit(): void {
    const text = this.composer.value;
    if (text.trim() === '') return;
    this.host.send(this.peer, text);
    // The peer's app clears the indicator when the message arrives: no "stopped" is needed.
    clearTimeout(this.typingIdle);
    this.typingSentAt = 0;
    this.composer.value = '';
    this.onInput();
    this.scrollToEnd();
  }

  private onInput(): void {
    const box = this.composer;
    this.resizeComposer();
    saveDraft(this.host.client.userId, this.conversationId, box.value);
    const left = LIMITS.maxTextLength - box.value.length;
    const limit = LIMITS.maxTextLength.toLocaleString('en');
    this.counter.textContent =
      this.pasteCut > 0
        ? `A message holds at most ${limit} characters: the last ${this.pasteCut.toLocaleString('en')} of what you pasted did not fit.`
        : left <= 200
          ? `${left} characters left`
          : '';
    this.counter.classList.toggle('over', this.pasteCut > 0);
    this.pasteCut = 0;
    if (box.value.trim() === '') {
      this.stopTyping();
      return;
    }
    const now = Date.now();
    if (now - this.typingSentAt >= TYPING_REPEAT_MS) {
      this.typingSentAt = now;
      this.host.client.typing(this.peer, 'typing');
    }
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  private resizeComposer(): void {
    const box = this.composer;
    box.style.height = 'auto';
    box.style.height = `${Math.min(box.scrollHeight, 160)}px`;
  }

  private stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (this.typingSentAt === 0) return;
    this.typingSentAt = 0;
    this.host.client.typing(this.peer, 'stopped');
  }
}

/** Makes `parent`'s children exactly `wanted`, in order, moving only the nodes that are out of place. */
function reconcile(parent: HTMLElement, wanted: readonly HTMLElement[]): void {
  const keep = new Set<Node>(wanted);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  wanted.forEach((element, index) => {
    const current = parent.children[index];
    if (current !== element) parent.insertBefore(element, current ?? null);
  });
}
