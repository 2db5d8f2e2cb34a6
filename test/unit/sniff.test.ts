import { fileTypeFromBuffer } from 'file-type/core';
import { describe, expect, it } from 'vitest';
import { sniffType } from '../../lambdas/adapters/s3/sniff';
import { SNIFFED_AS } from '../../lambdas/core/media';
import { mp4, oggOpus, png, webm } from '../support/media';

const bytes = (...parts: (string | number[] | Uint8Array)[]) =>
  new Uint8Array(
    Buffer.concat(
      parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))),
    ),
  );

/** An Ogg page (27-byte header, one lacing value) whose first packet starts with `packet`. */
const ogg = (packet: string) => bytes('OggS', [0, 2, ...Array(20).fill(0), 1, 19], packet, Array(11).fill(0));

/** An ID3v2 tag of `size` bytes (sync-safe), with nothing in it. */
const id3 = (size: number) =>
  bytes(
    'ID3',
    [4, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f],
    Array(Math.min(size, 64)).fill(0),
  );

const mp3Frame = [0xff, 0xfb, 0x90, 0x64, ...Array(60).fill(0)];

/** PNG with an acTL chunk before its IDAT: animated. */
function apng(): Uint8Array {
  const still = png();
  const actl = bytes([0, 0, 0, 8], 'acTL', Array(12).fill(0));
  return new Uint8Array(Buffer.concat([still.subarray(0, 33), actl, still.subarray(33)]));
}

const SAMPLES: Record<string, Uint8Array> = {
  png: new Uint8Array(png()),
  apng: apng(),
  'png with a negative chunk length': bytes(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xff, 0xff, 0xff],
    'IHDR',
    Array(20).fill(0),
  ),
  gif: bytes('GIF89a', [1, 0, 1, 0, 0, 0, 0]),
  jpeg: bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF', Array(10).fill(0)),
  'JPEG-LS': bytes([0xff, 0xd8, 0xff, 0xf7], Array(10).fill(0)),
  webp: bytes('RIFF', [0, 0, 0, 0], 'WEBPVP8 ', Array(10).fill(0)),
  wav: bytes('RIFF', [0, 0, 0, 0], 'WAVEfmt ', Array(10).fill(0)),
  'ogg opus': new Uint8Array(oggOpus()),
  'ogg vorbis': ogg('\x01vorbis'),
  'ogg flac': ogg('\x7fFLAC'),
  'ogg theora': ogg('\x80theora'),
  'ogg of something else': ogg('unknown!'),
  webm: new Uint8Array(webm()),
  matroska: new Uint8Array(
    Buffer.from(webm().toString('latin1').replace('\x84webm', '\x88matroska'), 'latin1'),
  ),
  'quicktime (moov first)': bytes([0, 0, 0, 8], 'moov', Array(8).fill(0)),
  ...Object.fromEntries(
    ['isom', 'mp42', 'M4A ', 'M4B ', 'qt  ', 'avif', 'heic', 'mif1', 'M4V ', '3gp4', 'crx '].map((brand) => [
      `ftyp ${brand}`,
      new Uint8Array(mp4(brand)),
    ]),
  ),
  mp3: bytes(mp3Frame),
  'mp3 after an ID3 tag': bytes(id3(16), mp3Frame),
  'ID3 tag longer than what was read': id3(100_000),
  'png after an ID3 tag': new Uint8Array(Buffer.concat([id3(16), png()])),
  'png after a UTF-8 byte order mark': new Uint8Array(
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), png()]),
  ),
  'AAC (ADTS)': bytes([0xff, 0xf1, 0x50, 0x80, ...Array(10).fill(0)]),
  'UTF-16 XML': new Uint8Array(
    Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0"?><svg/>', 'utf16le')]),
  ),
  html: bytes('<!doctype html><html><script>alert(1)</script></html>'),
  svg: bytes('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
  zip: bytes('PK', [3, 4, 20, 0, 0, 0, 0, 0], Array(30).fill(0)),
  'one byte': bytes([0xff]),
  empty: bytes(),
};

/** What an upload may sniff as; file-type's other names all mean a refusal. */
const ACCEPTED = new Set(Object.values(SNIFFED_AS).flat());

describe('the upload sniffer', () => {
  it.each(Object.keys(SAMPLES))(
    'accepts %s exactly when file-type names it an allowed type, and names it the same',
    async (name) => {
      const sample = SAMPLES[name] ?? new Uint8Array();
      // file-type throws on some malformed files (a truncated zip): an upload it could not name.
      const named = await fileTypeFromBuffer(sample).then(
        (type) => type?.mime,
        () => undefined,
      );
      expect(await sniffType(sample)).toBe(named !== undefined && ACCEPTED.has(named) ? named : undefined);
    },
  );

  it('covers every allowed name with a sample', async () => {
    const sniffed = new Set(await Promise.all(Object.values(SAMPLES).map((sample) => sniffType(sample))));
    expect(
      [...ACCEPTED].filter((type) => !sniffed.has(type) && type !== 'audio/opus' && type !== 'audio/webm'),
    ).toEqual([]);
  });
});
