import type { ChatClient } from '../client/chat-client';
import type { LastSeenVisibility, Settings } from '../contract/protocol/frames';
import { h } from './dom';
import { describeError } from './errors';
import { keepKeysInside } from './media-view';
import type { Notifier } from './notifier';
import type { PushNotifications, PushStatus } from './push';

const VISIBILITY: Record<LastSeenVisibility, string> = {
  everyone: 'Everyone',
  contacts: 'People I have chats with',
  nobody: 'Nobody',
};

/**
 * The settings dialog: the server's settings (read receipts, last seen, push previews), kept in step
 * with the user's other devices through `settings` events, and this browser's push notifications,
 * desktop notifications and sound.
 */
export class SettingsView {
  private readonly dialog: HTMLDialogElement;
  private readonly receipts: HTMLInputElement;
  private readonly lastSeen: HTMLSelectElement;
  private readonly sound: HTMLInputElement;
  private readonly pushSwitch: HTMLInputElement;
  private readonly pushStatus: HTMLElement;
  private readonly previews: HTMLInputElement;
  private readonly notifications: HTMLElement;
  private readonly error: HTMLElement;

  constructor(
    private readonly client: ChatClient,
    private readonly notifier: Notifier,
    private readonly push: PushNotifications,
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
    this.pushSwitch = h('input', {
      type: 'checkbox',
      id: 'setting-push',
      'aria-describedby': 'setting-push-status',
    });
    this.pushStatus = h('p', { class: 'hint', id: 'setting-push-status', role: 'status' });
    this.previews = h('input', { type: 'checkbox', id: 'setting-previews', disabled: true });
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
        h('h3', {}, 'Notifications'),
        h(
          'div',
          { class: 'setting' },
          this.pushSwitch,
          h('label', { for: 'setting-push' }, 'Push notifications'),
          this.pushStatus,
        ),
        h(
          'div',
          { class: 'setting' },
          this.previews,
          h('label', { for: 'setting-previews' }, 'Show message previews'),
          h('p', { class: 'hint' }, 'Off: push notifications say only who wrote, on all your devices.'),
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
    this.dialog.addEventListener('close', () => {
      this.push.onChange = undefined;
      this.dialog.remove();
    });
    this.receipts.addEventListener('change', () => void this.change({ readReceipts: this.receipts.checked }));
    this.lastSeen.addEventListener(
      'change',
      () => void this.change({ lastSeenVisibility: this.lastSeen.value as LastSeenVisibility }),
    );
    this.previews.addEventListener('change', () => void this.change({ pushPreviews: this.previews.checked }));
    this.sound.addEventListener('change', () => {
      this.notifier.muted = !this.sound.checked;
    });
    this.pushSwitch.addEventListener('change', () => {
      void (this.pushSwitch.checked ? this.push.turnOn() : this.push.turnOff());
    });
    this.push.onChange = () => {
      this.renderPush();
      this.renderNotifications();
    };
  }

  get isOpen(): boolean {
    return this.dialog.open;
  }

  open(): void {
    this.sound.checked = !this.notifier.muted;
    this.renderPush();
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
    this.previews.checked = settings.pushPreviews;
    this.receipts.disabled = false;
    this.lastSeen.disabled = false;
    this.previews.disabled = false;
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

  /** The switch shows what the server holds for this device; the line under it says why when off. */
  private renderPush(): void {
    const status = this.push.status;
    this.pushSwitch.checked = status.state === 'on' || (status.state === 'working' && this.push.wanted);
    this.pushSwitch.disabled = status.state === 'unavailable' || status.state === 'working';
    this.pushStatus.textContent = pushStatusText(status);
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

function pushStatusText(status: PushStatus): string {
  switch (status.state) {
    case 'unavailable':
      return status.reason;
    case 'off':
      return 'Off: you hear of new messages only while this app is open.';
    case 'working':
      return 'Updating…';
    case 'on':
      return 'New messages show a notification on this device even when the app is closed.';
    case 'failed':
      return `Not available: ${status.reason} Notifications still show while this app is open in a tab.`;
  }
}
