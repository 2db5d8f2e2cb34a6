// http_ece ships no types; this declares the part the local push service uses.
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  interface DecryptParams {
    version: 'aes128gcm';
    /** The receiver's key pair: for aes128gcm the sender's public key comes from the record's header. */
    privateKey: ECDH;
    /** The subscription's authentication secret (base64url or bytes). */
    authSecret: string | Buffer;
  }

  export function decrypt(buffer: Buffer, params: DecryptParams): Buffer;
}
