import { createECDH, createPrivateKey, type KeyObject, sign } from 'node:crypto';

/** A VAPID key pair (base64url: the uncompressed public point, the private scalar) and its contact. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
  subject: string;
}

/**
 * RFC 8292 §2 allows `exp` up to 24 hours ahead; half of that leaves room for a push service whose
 * clock runs ahead of ours (web-push's default too).
 */
export const VAPID_JWT_LIFETIME_S = 12 * 60 * 60;

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The P-256 key as a JWK: the public point is 0x04 ‖ x ‖ y (SEC 1 §2.3.3), 32 bytes each. */
function signingKey({ publicKey, privateKey }: VapidKeys): KeyObject {
  const point = Buffer.from(publicKey, 'base64url');
  if (point.length !== 65 || point[0] !== 0x04) {
    throw new Error('The VAPID public key is not an uncompressed P-256 point');
  }
  if (Buffer.from(privateKey, 'base64url').length !== 32) {
    throw new Error('The VAPID private key is not a 32-byte P-256 scalar');
  }
  // node:crypto takes x and y as given; a pair that does not match would sign JWTs every push service refuses.
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(privateKey, 'base64url'));
  if (!ecdh.getPublicKey().equals(point)) {
    throw new Error('The VAPID private key does not match the public key');
  }
  return createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: base64url(point.subarray(1, 33)),
      y: base64url(point.subarray(33)),
      d: privateKey,
    },
  });
}

/**
 * Signs the application server's VAPID JWT (RFC 8292) with node:crypto: ES256 over
 * `header.claims`, the signature as r ‖ s (RFC 7518 §3.4), not DER.
 */
export class VapidSigner {
  private readonly key: KeyObject;

  constructor(private readonly keys: VapidKeys) {
    this.key = signingKey(keys);
  }

  /** RFC 8292 §3: `vapid t=<JWT>, k=<public key>`, the JWT's audience the push resource's origin. */
  authorization(endpoint: string, nowMs: number): string {
    const header = base64url(JSON.stringify({ typ: 'JWT', alg: 'ES256' }));
    const claims = base64url(
      JSON.stringify({
        aud: new URL(endpoint).origin,
        exp: Math.floor(nowMs / 1000) + VAPID_JWT_LIFETIME_S,
        sub: this.keys.subject,
      }),
    );
    const input = `${header}.${claims}`;
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `vapid t=${input}.${base64url(signature)}, k=${this.keys.publicKey}`;
  }
}
