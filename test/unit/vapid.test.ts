import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { VAPID_JWT_LIFETIME_S, VapidSigner } from '../../lambdas/adapters/push/vapid';

const subject = 'mailto:test@example.com';
const NOW_MS = 1_790_000_000_500;

/** The public point (0x04 ‖ x ‖ y) as a verifying key, built apart from the signer's own code. */
function publicKeyOf(point: string) {
  const bytes = Buffer.from(point, 'base64url');
  return createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: bytes.subarray(1, 33).toString('base64url'),
      y: bytes.subarray(33).toString('base64url'),
    },
  });
}

function parse(authorization: string) {
  const match = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(authorization);
  if (!match) throw new Error(`not a vapid Authorization: ${authorization}`);
  const [, header = '', claims = '', signature = '', k = ''] = match;
  const json = (part: string): unknown => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  return {
    header: json(header),
    claims: json(claims),
    input: Buffer.from(`${header}.${claims}`),
    signature: Buffer.from(signature, 'base64url'),
    k,
  };
}

describe('VapidSigner', () => {
  // web-push makes the keys: an implementation independent of the signer.
  const keys = { ...webpush.generateVAPIDKeys(), subject };

  it('signs an ES256 JWT for the endpoint origin, expiring 12 hours from now, with the key as k', () => {
    const authorization = new VapidSigner(keys).authorization(
      'https://push.example.net:8443/wpush/v2/abc?x=1',
      NOW_MS,
    );

    const { header, claims, input, signature, k } = parse(authorization);
    expect(header).toEqual({ typ: 'JWT', alg: 'ES256' });
    expect(claims).toEqual({
      aud: 'https://push.example.net:8443',
      exp: Math.floor(NOW_MS / 1000) + VAPID_JWT_LIFETIME_S,
      sub: subject,
    });
    expect(VAPID_JWT_LIFETIME_S).toBeLessThanOrEqual(24 * 60 * 60);
    expect(k).toBe(keys.publicKey);
    // RFC 7518 §3.4: r ‖ s, 32 bytes each.
    expect(signature).toHaveLength(64);
    const options = { key: publicKeyOf(keys.publicKey), dsaEncoding: 'ieee-p1363' } as const;
    expect(verify('sha256', input, options, signature)).toBe(true);
  });

  it('makes a signature that another key pair does not verify', () => {
    const { input, signature } = parse(
      new VapidSigner(keys).authorization('https://push.example.net/x', NOW_MS),
    );
    const other = publicKeyOf(webpush.generateVAPIDKeys().publicKey);
    expect(verify('sha256', input, { key: other, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
  });

  it('refuses a public key that is not an uncompressed P-256 point or a private key of another size', () => {
    expect(() => new VapidSigner({ ...keys, publicKey: keys.publicKey.slice(0, 40) })).toThrow(/public key/);
    expect(() => new VapidSigner({ ...keys, privateKey: keys.privateKey.slice(0, 20) })).toThrow(
      /private key/,
    );
  });

  it('refuses a private key that does not belong to the public key', () => {
    const other = webpush.generateVAPIDKeys();
    expect(() => new VapidSigner({ ...keys, privateKey: other.privateKey })).toThrow(/does not match/);
  });
});
