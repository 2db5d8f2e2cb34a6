import type { MessageStatus } from '../contract/protocol/frames';
import { avatar, h, icon, srOnly } from './dom';
import { shortTime } from './format';

export interface ConversationItem {
  conversationId: string;
  peer: string;
  /** The last message, if any; `mine` when the user wrote it, with its status. */
  last?: { text: string; time: number; mine: boolean; status: MessageStatus };
  unread: number;
  /** Muted: never pushed to this user's devices. */
  muted: boolean;
  online: boolean;
  typing: boolean;
}

export interface StartProblem {
  message: string;
  unconfirmed?: boolean;
}

export interface ListHost {
  readonly userId: string;
  open(peer: string): void;
  /**
   * Opens a conversation with `username` once it is known to exist, or says what is wrong;
   * `unconfirmed` when the server's privacy rules do not tell (see ChatApp.startConversation).
   */
  startConversation(username: string, anyway: boolean): Promise<StartProblem | undefined>;
  signOut(): void;
  openSettings(): void;
  loadMore(): void;
}

/** The conversation list, newest activity first, with the form that starts a new conversation. */
export class ConversationList {
  readonly element: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly more: HTMLButtonElement;
  private selected: string | undefined;
  private readonly offer: HTMLElement;

  constructor(private readonly host: ListHost) {
    const signOut = h('button', { type: 'button', class: 'ghost' }, 'Sign out');
    signOut.addEventListener('click', () => host.signOut());
    const settings = h('button', { type: 'button', class: 'ghost' }, 'Settings');
    settings.addEventListener('click', () => host.openSettings());
    this.offer = h('div', { class: 'offer-slot' });

    const input = h('input', {
      id: 'new-peer',
      name: 'peer',
      placeholder: 'Username',
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'aria-describedby': 'new-peer-error',
    });
    const error = h('p', { class: 'form-error', id: 'new-peer-error', role: 'alert' });
    const anyway = h('button', { type: 'button', class: 'link', hidden: true }, 'Write anyway');
    const form = h(
      'form',
      { class: 'new-chat', novalidate: true },
      h('label', { for: 'new-peer' }, 'Start a conversation'),
      h('div', { class: 'row' }, input, h('button', { type: 'submit', class: 'primary' }, 'Chat')),
      error,
      anyway,
    );
    const start = async (force: boolean) => {
      const problem = await host.startConversation(input.value, force);
      error.textContent = problem?.message ?? '';
      anyway.hidden = !problem?.unconfirmed;
      if (problem === undefined) input.value = '';
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void start(false);
    });
    anyway.addEventListener('click', () => void start(true));
    input.addEventListener('input', () => {
      anyway.hidden = true;
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        input.value = '';
        error.textContent = '';
        anyway.hidden = true;
      }
    });

    this.list = h('ul', { class: 'conversations', 'aria-label': 'Conversations' });
    this.list.addEventListener('keydown', (event) => this.onArrow(event));
    this.empty = h('p', { class: 'empty' }, 'No conversations yet. Start one above with someone’s username.');
    this.more = h('button', { type: 'button', class: 'link more', hidden: true }, 'Show older conversations');
    this.more.addEventListener('click', () => host.loadMore());
    this.element = h(
      'section',
      { class: 'screen list-screen', 'aria-labelledby': 'list-title' },
      h(
        'header',
        { class: 'bar' },
        h('h1', { id: 'list-title', tabindex: -1 }, 'Chats'),
        h('p', { class: 'me' }, srOnly('Signed in as '), h('span', { class: 'me-name' }, host.userId)),
        settings,
        signOut,
      ),
      this.offer,
      form,
      h('div', { class: 'scroll' }, this.list, this.empty, this.more),
    );
  }

  /** Re-renders the list; keyboard focus stays on the conversation that had it. */
  render(items: readonly ConversationItem[], hasMore: boolean, selected: string | undefined): void {
    this.selected = selected;
    const focused =
      document.activeElement instanceof HTMLElement ? document.activeElement.dataset.conversation : undefined;
    this.list.replaceChildren(...items.map((item) => h('li', {}, this.itemButton(item))));
    this.empty.hidden = items.length > 0;
    this.more.hidden = !hasMore;
    if (focused) this.focus(focused);
  }

  showOffer(element: HTMLElement): void {
    this.offer.replaceChildren(element);
  }

  /** Where focus goes after signing in: the screen's heading, read out first. */
  focusHeading(): void {
    this.element.querySelector<HTMLElement>('#list-title')?.focus();
  }

  /** Up and Down move between conversations, Home and End to the first and last. */
  private onArrow(event: KeyboardEvent): void {
    const buttons = [...this.list.querySelectorAll<HTMLElement>('.conversation')];
    const at = buttons.indexOf(document.activeElement as HTMLElement);
    const to =
      event.key === 'ArrowDown'
        ? Math.min(at + 1, buttons.length - 1)
        : event.key === 'ArrowUp'
          ? Math.max(at - 1, 0)
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? buttons.length - 1
              : undefined;
    if (to === undefined || at < 0) return;
    event.preventDefault();
    buttons[to]?.focus();
  }

  focus(conversationId: string): void {
    this.list.querySelector<HTMLElement>(`[data-conversation="${CSS.escape(conversationId)}"]`)?.focus();
  }

  private itemButton(item: ConversationItem): HTMLButtonElement {
    const preview = item.typing
      ? h('span', { class: 'typing' }, 'typing…')
      : item.last
        ? h(
            'span',
            { class: 'preview-text' },
            item.last.mine &&
              h(
                'span',
                { class: `tick tick-${item.last.status}` },
                icon(item.last.status === 'sent' ? 'check' : 'checks'),
              ),
            item.last.mine && srOnly('You: '),
            item.last.text,
          )
        : h('span', { class: 'preview-text muted' }, 'No messages yet');
    const description = [
      item.online ? 'online' : '',
      item.muted ? 'muted' : '',
      item.unread > 0 ? `${item.unread} unread` : '',
      item.last?.mine ? item.last.status : '',
    ].filter(Boolean);
    const button = h(
      'button',
      {
        type: 'button',
        class: item.unread > 0 ? 'conversation has-unread' : 'conversation',
        'data-conversation': item.conversationId,
        'aria-current': item.conversationId === this.selected ? 'true' : undefined,
      },
      avatar(item.peer, item.online && h('span', { class: 'online-dot' })),
      h(
        'span',
        { class: 'summary' },
        h(
          'span',
          { class: 'line' },
          h('span', { class: 'name' }, item.peer),
          item.muted && h('span', { class: 'muted-icon', title: 'Muted' }, icon('bell-off')),
          item.last && h('time', { class: 'when' }, shortTime(item.last.time)),
        ),
        h(
          'span',
          { class: 'line' },
          h('span', { class: 'preview' }, preview),
          item.unread > 0 && h('span', { class: 'badge', 'aria-hidden': 'true' }, String(item.unread)),
        ),
      ),
      description.length > 0 && srOnly(`, ${description.join(', ')}`),
    );
    button.addEventListener('click', () => this.host.open(item.peer));
    return button;
  }
}
