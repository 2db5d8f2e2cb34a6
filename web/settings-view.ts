import type { ChatClient } from '../client/chat-client';
import type { LastSeenVisibility, Settings } from '../contract/protocol/frames';
import { h } from './dom';
import { describeError } from './errors';
import { keepKeysInside } from './media-view';
import type { Notifier } from './notifier';

const VISIBILITY: Record<LastSeenVisibility, string> = {
  everyone: 'Everyone',
  contacts: 'People I have chats with',
  nobody: 'Nobody',
};

/**
 * The settings dialog: the server's privacy settings (read receipts, last seen), kept in step with
 * the user's other devices through `settings` events, and this browser's notifications and sound.
 */
export class SettingsView {
  private readonly dialog: HTMLDialogElement;
  private readonly receipts: HTMLInputElement;
  private readonly lastSeen: HTMLSelectElement;
  private readonly sound: HTMLInputElement;
  private readonly notifications: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly client: ChatClient,
    private readonly notifier: Notifier,
    /** Signs this browser out once the server ended every session. */
    signedOutEverywhere: () => void,
  ) {
    this.receipts = h('input', { type: 'checkbox', id: 'setting-receipts', disabled: true });
    this.lastSeen = h(
      'select',
      { id: 'setting-last-seen', disabled: true },
      ...Object.entries(VISIBILITY).map(([value, label]) => h('option', { value }, label)),
    );
    this.sound = h('input', { type: 'checkbox', id: 'setting-sound' });
    this.notifications = h('div', { class: 'setting-notifications' });
    this.error = h('p', { class: 'form-error', role: 'alert' });
    const done = h('button', { type: 'submit', class: 'primary' }, 'Done');
    const everywhere = h('button', { type: 'button', class: 'ghost danger-text' }, 'Sign out everywhere');
    everywhere.addEventListener('click', () => {
      everywhere.disabled = true;
      this.client.signOutEverywhere().then(
        () => {
          this.dialog.close();
          signedOutEverywhere();
        },
        (error: unknown) => {
          everywhere.disabled = false;
          this.error.textContent = `You are still signed in elsewhere. ${describeError(error)}`;
        },
      );
    });
    this.dialog = h(
      'dialog',
      { class: 'sheet settings', 'aria-labelledby': 'settings-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'settings-title' }, 'Settings'),
        h('h3', {}, 'Privacy'),
        h(
          'div',
          { class: 'setting' },
          this.receipts,
          h('label', { for: 'setting-receipts' }, 'Read receipts'),
          h(
            'p',
            { class: 'hint' },
            'Off: nobody sees when you read their messages, and you do not see theirs.',
          ),
        ),
        h(
          'div',
          { class: 'setting column' },
          h('label', { for: 'setting-last-seen' }, 'Who sees when I am online and last seen'),
          this.lastSeen,
        ),
        h('h3', {}, 'On this browser'),
        h(
          'div',
          { class: 'setting' },
          this.sound,
          h('label', { for: 'setting-sound' }, 'Play a sound for new messages'),
        ),
        this.notifications,
        h('h3', {}, 'Account'),
        h(
          'div',
          { class: 'setting column' },
          everywhere,
          h('p', { class: 'hint' }, 'Ends the sessions on all your devices, this one included.'),
        ),
        this.error,
        h('div', { class: 'row' }, done),
      ),
    );
    keepKeysInside(this.dialog);
    this.dialog.addEventListener('close', () => this.dialog.remove());
    this.receipts.addEventListener('change', () => void this.change({ readReceipts: this.receipts.checked }));
    this.lastSeen.addEventListener(
      'change',
      () => void this.change({ lastSeenVisibility: this.lastSeen.value as LastSeenVisibility }),
    );
    this.sound.addEventListener('change', () => {
      this.notifier.muted = !this.sound.checked;
    });
  }

  get isOpen(): boolean {
    return this.dialog.open;
  }

  open(): void {
    this.sound.checked = !this.notifier.muted;
    this.renderNotifications();
    document.body.append(this.dialog);
    this.dialog.showModal();
    this.client.updateSettings().then(
      (settings) => this.show(settings),
      (error: unknown) => {
        this.error.textContent = `Your settings could not be read. ${describeError(error)}`;
      },
    );
  }

  /** The settings as the server has them: a reply, or a change made on another device. */
  show(settings: Settings): void {
    this.receipts.checked = settings.readReceipts;
    this.lastSeen.value = settings.lastSeenVisibility;
    this.receipts.disabled = false;
    this.lastSeen.disabled = false;
  }

  private async change(fields: Partial<Settings>): Promise<void> {
    this.error.textContent = '';
    try {
      this.show(await this.client.updateSettings(fields));
    } catch (error) {
      this.error.textContent = `That change was not saved. ${describeError(error)}`;
      // Back to what the server holds.
      this.client.updateSettings().then(
        (settings) => this.show(settings),
        () => {},
      );
    }
  }

  private renderNotifications(): void {
    const { permission } = this.notifier;
    if (permission === 'default') {
      const ask = h('button', { type: 'button', class: 'ghost' }, 'Turn on desktop notifications');
      ask.addEventListener('click', () => void this.notifier.ask().then(() => this.renderNotifications()));
      this.notifications.replaceChildren(ask);
      return;
    }
    this.notifications.replaceChildren(
      h(
        'p',
        { class: 'hint' },
        permission === 'granted'
          ? 'Desktop notifications are on for this browser.'
          : permission === 'denied'
            ? 'Desktop notifications are blocked: allow them in the browser’s site settings.'
            : 'This browser cannot show desktop notifications.',
      ),
    );
  }
}
