import type { TypeSniffer } from '../../core/ports';

/**
 * The media type that a file's magic numbers say, for the containers uploads may be (SNIFFED_AS in
 * lambdas/core/media.ts) and nothing else: anything else is undefined, so it is refused. It reads them
 * as the `file-type` library does and names them as it does (test/unit/sniff.test.ts holds the two to
 * the same answers),
 * without its 60 KB of detectors for some two hundred other formats, which sendMessage's bundle has no
 * room for. Sources: PNG https://www.w3.org/TR/png-3/, APNG https://wiki.mozilla.org/APNG_Specification,
 * Ogg https://www.rfc-editor.org/rfc/rfc3533 and RFC 7845, EBML https://www.rfc-editor.org/rfc/rfc8794,
 * ISO BMFF `ftyp` brands https://mp4ra.org/registered-types/brands, ID3v2 https://id3.org/id3v2.4.0-structure,
 * MPEG audio frame headers http://www.mp3-tech.org/programmer/frame_header.html.
 */
export const sniffType: TypeSniffer = async (bytes) => sniff(bytes, 0);

const latin1 = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  signature.every((byte, index) => bytes[offset + index] === byte);

function sniff(bytes: Uint8Array, offset: number): string | undefined {
  const at = (text: string, from = 0) => latin1(bytes, offset + from, text.length) === text;
  // A UTF-8 byte order mark, and an ID3 tag, are skipped and what follows is read.
  if (startsWith(bytes, [0xef, 0xbb, 0xbf], offset)) return sniff(bytes, offset + 3);
  if (at('GIF')) return 'image/gif';
  if (at('ID3')) {
    const view = bytes.subarray(offset + 6, offset + 10);
    const tagLength = view.reduce((length, byte) => length * 128 + (byte & 0x7f), 0);
    const next = offset + 10 + tagLength;
    // A tag longer than what was read (album art): ID3 is MP3's tag, as file-type assumes too.
    return next > bytes.length ? 'audio/mpeg' : sniff(bytes, next);
  }
  if (startsWith(bytes, [0xff, 0xd8, 0xff], offset))
    return bytes[offset + 3] === 0xf7 ? undefined : 'image/jpeg';
  if (at('OggS')) return oggType(latin1(bytes, offset + 28, 8));
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3], offset))
    return ebmlDocType(bytes, offset) === 'webm' ? 'video/webm' : undefined;
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], offset))
    return pngType(bytes, offset + 8);
  if (['free', 'mdat', 'moov', 'wide'].some((box) => at(box, 4))) return 'video/quicktime';
  if (at('ftyp', 4) && ((bytes[offset + 8] ?? 0) & 0x60) !== 0) {
    return brandType(
      latin1(bytes, offset + 8, 4)
        .replace('\0', ' ')
        .trim(),
    );
  }
  if (at('RIFF')) return at('WEBP', 8) ? 'image/webp' : undefined;
  // UTF-16 text (XML, a registry file) after its byte order mark; other FF FE reads as an MPEG header.
  if (startsWith(bytes, [0xff, 0xfe], offset) && isUtf16Document(bytes.subarray(offset + 2)))
    return undefined;
  return mpegAudioType(bytes[offset], bytes[offset + 1]);
}

function oggType(firstPacket: string): string | undefined {
  if (firstPacket.startsWith('OpusHead')) return 'audio/ogg; codecs=opus';
  if (['\x7fFLAC', 'Speex  ', '\x01vorbis'].some((codec) => firstPacket.startsWith(codec)))
    return 'audio/ogg';
  return undefined;
}

/** The first IDAT makes a PNG, an acTL before it an animated one. */
function pngType(bytes: Uint8Array, start: number): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = start;
  while (position + 8 <= bytes.length) {
    const length = view.getInt32(position);
    if (length < 0) return undefined;
    const type = latin1(bytes, position + 4, 4);
    if (type === 'IDAT') return 'image/png';
    if (type === 'acTL') return 'image/apng';
    position += 8 + length + 4;
  }
  return 'image/png';
}

/** ISO base media files: the major brand says which; most are plain MP4. */
function brandType(brand: string): string | undefined {
  if (brand === 'qt') return 'video/quicktime';
  if (brand === 'M4A') return 'audio/x-m4a';
  if (['M4B', 'F4A', 'F4B'].includes(brand)) return 'audio/mp4';
  if (/^M4V[HP]?$/.test(brand)) return 'video/x-m4v';
  // Images (AVIF, HEIF), 3GPP and camera raw files share the box, and are none of ours.
  if (/^(avi[fs]|mif1|msf1|hei[cx]|hev[cx]|crx|3g)/.test(brand)) return undefined;
  return 'video/mp4';
}

/** The EBML header's DocType (element 0x4282): `webm` or `matroska`. */
function ebmlDocType(bytes: Uint8Array, start: number): string | undefined {
  let position = start;
  const readVint = (): Uint8Array | undefined => {
    const first = bytes[position];
    if (first === undefined) return undefined;
    let width = 1;
    for (let mask = 0x80; (first & mask) === 0 && mask !== 0; mask >>= 1) width++;
    const field = bytes.slice(position, position + width);
    position += width;
    return field.length === width ? field : undefined;
  };
  const readElement = () => {
    const id = readVint();
    const length = readVint();
    if (id === undefined || length === undefined) return undefined;
    length[0] = (length[0] ?? 0) ^ (0x80 >> (length.length - 1));
    const number = (field: Uint8Array) => field.slice(-6).reduce((value, byte) => value * 256 + byte, 0);
    return { id: number(id), length: number(length) };
  };
  const root = readElement();
  for (let children = root?.length ?? 0; children > 0; children--) {
    const element = readElement();
    if (element === undefined) return undefined;
    if (element.id === 0x4282) return latin1(bytes, position, element.length).replace(/\0.*$/, '');
    position += element.length;
  }
  return undefined;
}

function isUtf16Document(rest: Uint8Array): boolean {
  const text = new TextDecoder('utf-16le').decode(rest.subarray(0, 80));
  return (
    text.startsWith('<?xml ') ||
    text.startsWith('Windows Registry Editor Version 5.00\r\n') ||
    startsWith(rest, [0xff, 0x0e])
  );
}

/** An MPEG audio frame header: sync word 0xFFE, then a layer (ADTS AAC, layer 0, is not ours). */
function mpegAudioType(first: number | undefined, second: number | undefined): string | undefined {
  if (first !== 0xff || second === undefined || (second & 0xe0) !== 0xe0) return undefined;
  if ((second & 0x16) === 0x10) return undefined;
  return (second & 0x06) === 0 ? undefined : 'audio/mpeg';
}
