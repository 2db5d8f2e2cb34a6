import { MEDIA_MAX_BYTES } from '../contract/media';
import { h, icon } from './dom';
import { ERROR_MESSAGES } from './errors';
import { ACCEPTED_TYPES, type FileFacts, factsOf, formatSize, kindOfFile } from './media-files';
import { keepKeysInside } from './media-view';

/** A file the user chose to send, with its caption and what the browser could tell of it. */
export interface MediaSend {
  file: Blob;
  caption: string;
  facts: FileFacts;
}

export interface ComposerHost {
  sendMedia(media: MediaSend): void;
  /** A file that cannot be sent: say why. */
  refuse(reason: string): void;
}

/**
 * Choosing files: the attach button, drag and drop onto the conversation, and pasting an image into
 * the message field. Each file opens a preview with a caption field before it is sent.
 */
export class MediaComposer {
  readonly attach: HTMLButtonElement;
  /** The hidden file input behind the attach button; it belongs in the page next to it. */
  readonly picker: HTMLInputElement;
  private readonly queue: File[] = [];
  private open: HTMLDialogElement | undefined;

  constructor(
    private readonly peer: string,
    private readonly host: ComposerHost,
  ) {
    this.picker = h('input', {
      type: 'file',
      accept: ACCEPTED_TYPES,
      multiple: true,
      hidden: true,
      id: 'attach-file',
    });
    this.picker.addEventListener('change', () => {
      this.offer([...(this.picker.files ?? [])]);
      this.picker.value = '';
    });
    this.attach = h(
      'button',
      { type: 'button', class: 'icon-button attach', 'aria-label': 'Attach a photo, video or audio file' },
      icon('clip'),
    );
    this.attach.addEventListener('click', () => this.picker.click());
  }

  /** Drops onto `zone` and pastes into `field` offer their files. */
  listen(zone: HTMLElement, field: HTMLElement): void {
    const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') ?? false;
    zone.addEventListener('dragover', (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      zone.classList.add('dropping');
    });
    zone.addEventListener('dragleave', (event) => {
      if (event.relatedTarget === null || !zone.contains(event.relatedTarget as Node))
        zone.classList.remove('dropping');
    });
    zone.addEventListener('drop', (event) => {
      zone.classList.remove('dropping');
      if (!carriesFiles(event)) return;
      event.preventDefault();
      this.offer([...(event.dataTransfer?.files ?? [])]);
    });
    field.addEventListener('paste', (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      event.preventDefault();
      this.offer(files);
    });
  }

  /** Previews the files one after the other; those that cannot be sent are refused at once. */
  offer(files: readonly File[]): void {
    for (const file of files) {
      const kind = kindOfFile(file);
      if (kind === undefined) this.host.refuse(`${file.name}: ${ERROR_MESSAGES.MEDIA_TYPE_NOT_ALLOWED}`);
      else if (file.size > MEDIA_MAX_BYTES[kind]) {
        this.host.refuse(
          `${file.name}: ${ERROR_MESSAGES.MEDIA_TOO_LARGE} At most ${formatSize(MEDIA_MAX_BYTES[kind])}.`,
        );
      } else this.queue.push(file);
    }
    if (!this.open) this.next();
  }

  close(): void {
    this.queue.length = 0;
    this.open?.close();
  }

  private next(): void {
    const file = this.queue.shift();
    this.open = file && this.preview(file);
  }

  private preview(file: File): HTMLDialogElement {
    const url = URL.createObjectURL(file);
    const facts = factsOf(file);
    const kind = kindOfFile(file);
    const shown =
      kind === 'image'
        ? h('img', { src: url, alt: file.name })
        : h(kind === 'video' ? 'video' : 'audio', { src: url, controls: true, preload: 'metadata' });
    const caption = h('input', {
      id: 'media-caption',
      placeholder: 'Add a caption',
      autocomplete: 'off',
      maxlength: 4000,
      enterkeyhint: 'send',
    });
    const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
    const cancel = h('button', { type: 'button', class: 'ghost' }, 'Cancel');
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'media-compose-title' }, `Send to ${this.peer}`),
      h('div', { class: 'compose-preview' }, shown),
      h('p', { class: 'hint' }, `${file.name} · ${formatSize(file.size)}`),
      h('label', { for: 'media-caption', class: 'sr-only' }, 'Caption'),
      caption,
      h('div', { class: 'row' }, cancel, send),
    );
    const dialog = h('dialog', { class: 'media-compose', 'aria-labelledby': 'media-compose-title' }, form);
    let sending = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (sending) return;
      sending = true;
      send.disabled = true;
      void facts.then((known) => {
        if (known) this.host.sendMedia({ file, caption: caption.value.trim(), facts: known });
        dialog.close();
      });
    });
    cancel.addEventListener('click', () => dialog.close());
    keepKeysInside(dialog);
    dialog.addEventListener('close', () => {
      dialog.remove();
      URL.revokeObjectURL(url);
      this.open = undefined;
      this.next();
    });
    document.body.append(dialog);
    dialog.showModal();
    caption.focus();
    return dialog;
  }
}
