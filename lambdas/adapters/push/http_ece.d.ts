// http_ece ships no types; this declares the aes128gcm part that the push sender and the local push
// service use.
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';

  interface EncryptParams {
    version: 'aes128gcm';
    /** The sender's fresh key pair: its public key goes into the record's header as the key id. */
    privateKey: ECDH;
    /** The receiver's public key (the subscription's p256dh, base64url or bytes). */
    dh: string | Buffer;
    /** The subscription's authentication secret (base64url or bytes). */
    authSecret: string | Buffer;
  }

  interface DecryptParams {
    version: 'aes128gcm';
    /** The receiver's key pair: for aes128gcm the sender's public key comes from the record's header. */
    privateKey: ECDH;
    /** The subscription's authentication secret (base64url or bytes). */
    authSecret: string | Buffer;
  }

  /** Without a `salt`, a random 16-byte one; the record size is 4096. */
  export function encrypt(buffer: Buffer, params: EncryptParams): Buffer;
  export function decrypt(buffer: Buffer, params: DecryptParams): Buffer;
}
