import { fileTypeFromBuffer } from 'file-type/core';
import type { TypeSniffer } from '../../core/ports';

/** The media type that a file's magic numbers say, read with the maintained `file-type` library. */
export const sniffType: TypeSniffer = async (bytes) => (await fileTypeFromBuffer(bytes))?.mime;
