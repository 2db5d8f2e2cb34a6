/**
 * Tells the user about messages they are not looking at: a desktop notification (once they allowed
 * it), a short sound unless muted, and the unread count in the tab's title and on its icon.
 * With the tab closed, Web Push takes over (web/push.ts, web/sw.ts): the server pushes only to devices
 * without a live connection, so the two never show the same message twice.
 */
const MUTED_KEY = 'chat.muted';
const ASKED_KEY = 'chat.notificationsAsked';

export type Permission = 'unsupported' | NotificationPermission;

export class Notifier {
  private audio: AudioContext | undefined;
  private shownCount = -1;
  private readonly icon: HTMLLinkElement;

  constructor(private readonly open: (peer: string) => void) {
    this.icon =
      document.querySelector<HTMLLinkElement>('link[rel="icon"]') ??
      document.head.appendChild(Object.assign(document.createElement('link'), { rel: 'icon' }));
  }

  get muted(): boolean {
    return localStorage.getItem(MUTED_KEY) === 'true';
  }

  set muted(muted: boolean) {
    if (muted) localStorage.setItem(MUTED_KEY, 'true');
    else localStorage.removeItem(MUTED_KEY);
  }

  get permission(): Permission {
    return 'Notification' in window ? Notification.permission : 'unsupported';
  }

  /** Whether to offer notifications: never asked, and not declined with "Not now". */
  get shouldOffer(): boolean {
    return this.permission === 'default' && localStorage.getItem(ASKED_KEY) === null;
  }

  /** Asked from a button the user pressed, never on load: browsers ignore or penalise uninvited prompts. */
  async ask(): Promise<Permission> {
    localStorage.setItem(ASKED_KEY, 'true');
    if (this.permission !== 'default') return this.permission;
    return Notification.requestPermission();
  }

  decline(): void {
    localStorage.setItem(ASKED_KEY, 'true');
  }

  /** A message arrived in a chat that is not in view. */
  incoming(peer: string, text: string): void {
    if (!this.muted) this.chime();
    if (this.permission !== 'granted') return;
    // One notification per chat: a newer message replaces the older one instead of piling up.
    const notification = new Notification(peer, { body: text, tag: `chat-${peer}` });
    notification.addEventListener('click', () => {
      window.focus();
      this.open(peer);
      notification.close();
    });
  }

  /** The unread count in the title and on the tab's icon, drawn only when it changes. */
  showUnread(count: number): void {
    document.title = count > 0 ? `(${count}) Chat` : 'Chat';
    if (count === this.shownCount) return;
    this.shownCount = count;
    this.icon.href = drawIcon(count);
  }

  /** Two soft tones, made with WebAudio: no sound file to download. */
  private chime(): void {
    try {
      this.audio ??= new AudioContext();
      const { currentTime: now } = this.audio;
      for (const [frequency, start] of [
        [880, 0],
        [1320, 0.09],
      ] as const) {
        const oscillator = this.audio.createOscillator();
        const gain = this.audio.createGain();
        oscillator.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, now + start);
        gain.gain.exponentialRampToValueAtTime(0.15, now + start + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + start + 0.16);
        oscillator.connect(gain).connect(this.audio.destination);
        oscillator.start(now + start);
        oscillator.stop(now + start + 0.18);
      }
    } catch {
      // No audio (a browser without WebAudio, or one that blocks it until the user interacts).
    }
  }
}

/** A 32 px speech bubble in the app's colour, with the unread count on a red badge. */
function drawIcon(count: number): string {
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 32;
  const context = canvas.getContext('2d');
  if (!context) return 'data:,';
  context.fillStyle = '#0f766e';
  context.beginPath();
  context.arc(16, 15, 13, 0, Math.PI * 2);
  context.moveTo(6, 24);
  context.lineTo(3, 31);
  context.lineTo(13, 27);
  context.fill();
  if (count > 0) {
    const label = count > 99 ? '99+' : String(count);
    context.fillStyle = '#d92d20';
    context.beginPath();
    context.arc(22, 10, 10, 0, Math.PI * 2);
    context.fill();
    context.fillStyle = '#fff';
    context.font = `bold ${label.length > 2 ? 9 : 13}px system-ui, sans-serif`;
    context.textAlign = 'center';
    context.textBaseline = 'middle';
    context.fillText(label, 22, 11);
  }
  return canvas.toDataURL('image/png');
}
