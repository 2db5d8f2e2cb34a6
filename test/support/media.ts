import { crc32, deflateSync } from 'node:zlib';
import type { Frame } from './socket';

/** Tiny real files, built here, whose first bytes `file-type` recognises as their type. */

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid width × height RGB PNG, filled with one colour. */
export function png(width = 4, height = 3): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x7f)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first Ogg page of an Opus stream: its identification header (RFC 7845). */
export function oggOpus(): Buffer {
  const head = Buffer.concat([
    Buffer.from('OpusHead', 'latin1'),
    Buffer.from([1, 1, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0]),
  ]);
  return Buffer.concat([
    Buffer.from('OggS', 'latin1'),
    Buffer.from([0, 2]),
    Buffer.alloc(8),
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, head.length]),
    head,
  ]);
}

/** The EBML header of a WebM file, as a browser's MediaRecorder starts one. */
export function webm(): Buffer {
  return Buffer.concat([
    Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01]),
    Buffer.from([0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84]),
    Buffer.from('webm', 'latin1'),
    Buffer.from([0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]),
  ]);
}

/** An MP4's `ftyp` box and an empty `mdat`. */
export function mp4(brand = 'isom'): Buffer {
  return Buffer.concat([
    Buffer.from([0, 0, 0, 0x18]),
    Buffer.from(`ftyp${brand}`, 'latin1'),
    Buffer.from([0, 0, 2, 0]),
    Buffer.from(`${brand}mp41`, 'latin1'),
    Buffer.from([0, 0, 0, 8]),
    Buffer.from('mdat', 'latin1'),
  ]);
}

export const html = () => Buffer.from('<!doctype html><html><script>alert(document.cookie)</script></html>');

/** POSTs a file with a slot's form fields, as a browser's form upload does. */
export async function upload(
  slot: Frame,
  file: Buffer,
  change: (fields: Record<string, string>) => Record<string, string> = (fields) => fields,
): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries(change(slot.fields as Record<string, string>))) {
    form.append(name, value);
  }
  form.append('file', new Blob([new Uint8Array(file)]));
  return fetch(String(slot.url), { method: 'POST', body: form });
}
