import { randomBytes } from 'node:crypto';

/**
 * API Gateway's WebSocket ids (connectionId, requestId, extendedRequestId, messageId) are 16
 * base64 characters ending with '='. '+' and '/' are swapped for letters so that a hand-built
 * `@connections/<id>` URL works without percent-encoding, as real ids in the wild do.
 */
export function gatewayId(): string {
  return randomBytes(11).toString('base64').replaceAll('+', 'P').replaceAll('/', 'S');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestTime` in the common log format API Gateway uses: `27/Nov/2026:19:33:05 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  // toLocaleString builds an Intl formatter on every call, which showed in the runtime's CPU profile.
  const month = MONTHS[d.getUTCMonth()];
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}
