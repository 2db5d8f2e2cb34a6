import { bareContentType } from '../client/media';
import { h, icon } from './dom';
import { formatDuration } from './media-files';

export interface RecorderHost {
  sendVoice(file: Blob, durationMs: number): void;
  refuse(reason: string): void;
  /** Recording started or ended: the composer shows the recorder's bar instead of the message field. */
  recording(on: boolean): void;
}

/** What browsers record, best first; all are on the server's list once their codec parameter is dropped. */
const RECORDING_TYPES = [
  'audio/webm;codecs=opus',
  'audio/ogg;codecs=opus',
  'audio/webm',
  'audio/ogg',
  'audio/mp4',
];

/** Tick of the timer on screen. */
const TICK_MS = 200;

/**
 * Voice notes: the microphone button starts recording (MediaRecorder), a bar shows a timer with
 * Cancel and Send; Send stops and sends the recording as audio.
 */
export class VoiceRecorder {
  readonly button: HTMLButtonElement;
  readonly bar: HTMLElement;
  private readonly timer: HTMLElement;
  /** Ends the recording in progress, sending it or not. */
  private finish: ((keep: boolean) => void) | undefined;
  private ticking: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly host: RecorderHost) {
    this.button = h(
      'button',
      { type: 'button', class: 'icon-button mic', 'aria-label': 'Record a voice note' },
      icon('mic'),
    );
    this.button.addEventListener('click', () => void this.start());
    this.timer = h('span', { class: 'rec-time', role: 'timer', 'aria-live': 'off' }, '0:00');
    const cancel = h(
      'button',
      { type: 'button', class: 'icon-button rec-cancel', 'aria-label': 'Cancel the voice note' },
      icon('trash'),
    );
    const send = h(
      'button',
      { type: 'button', class: 'send', 'aria-label': 'Send the voice note' },
      icon('send'),
    );
    cancel.addEventListener('click', () => this.stop(false));
    send.addEventListener('click', () => this.stop(true));
    this.bar = h(
      'div',
      { class: 'recorder', hidden: true, role: 'group', 'aria-label': 'Recording a voice note' },
      cancel,
      h('span', { class: 'rec-dot', 'aria-hidden': 'true' }),
      h('span', { class: 'rec-label' }, 'Recording'),
      this.timer,
      send,
    );
    this.bar.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      event.stopPropagation();
      this.stop(false);
    });
  }

  /** Stops without sending, e.g. when the conversation closes. */
  destroy(): void {
    this.stop(false);
  }

  private async start(): Promise<void> {
    if (this.finish) return;
    const mimeType =
      typeof MediaRecorder === 'undefined'
        ? undefined
        : RECORDING_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    if (!mimeType || !navigator.mediaDevices?.getUserMedia) {
      this.host.refuse('This browser cannot record voice notes.');
      return;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      this.host.refuse('The microphone is not available. Allow this page to use it, then try again.');
      return;
    }
    const recorder = new MediaRecorder(stream, { mimeType });
    const chunks: Blob[] = [];
    recorder.addEventListener('dataavailable', (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    });
    const startedAt = performance.now();
    this.finish = (keep) => {
      const durationMs = Math.round(performance.now() - startedAt);
      recorder.addEventListener(
        'stop',
        () => {
          for (const track of stream.getTracks()) track.stop();
          if (!keep || chunks.length === 0) return;
          // The content type without its codec parameter, as the protocol takes it.
          this.host.sendVoice(
            new Blob(chunks, { type: bareContentType(recorder.mimeType || mimeType) }),
            durationMs,
          );
        },
        { once: true },
      );
      recorder.stop();
    };
    recorder.start();
    this.bar.hidden = false;
    this.host.recording(true);
    const tick = () => {
      this.timer.textContent = formatDuration(performance.now() - startedAt);
    };
    tick();
    this.ticking = setInterval(tick, TICK_MS);
    this.bar.querySelector<HTMLButtonElement>('.send')?.focus();
  }

  private stop(keep: boolean): void {
    const finish = this.finish;
    if (!finish) return;
    this.finish = undefined;
    clearInterval(this.ticking);
    finish(keep);
    this.bar.hidden = true;
    this.timer.textContent = formatDuration(0);
    this.host.recording(false);
    this.button.focus();
  }
}
