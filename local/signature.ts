import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

type SourceData = string | ArrayBuffer | ArrayBufferView;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The AWS JSON error a service answers when it refuses a call. */
export interface AwsDenial {
  statusCode: number;
  errorType: string;
  message: string;
}

export type SignatureCheck = { ok: true; accessKeyId: string } | { ok: false; denial: AwsDenial };

/** node:crypto in the shape SignatureV4 expects of a hash (HMAC when given a secret). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Checks a request's Signature Version 4 the way an AWS service does: it must be signed, by a key the
 * service knows, and the signature must match the one computed here with that key's secret over the
 * same method, path, query, signed headers and body. The request's age is not checked.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html
 */
export async function verifySignature(
  req: IncomingMessage,
  body: Buffer,
  secretFor: (accessKeyId: string) => string | undefined,
): Promise<SignatureCheck> {
  const header = req.headers.authorization;
  if (header === undefined) {
    return {
      ok: false,
      denial: {
        statusCode: 403,
        errorType: 'MissingAuthenticationTokenException',
        message: 'Missing Authentication Token',
      },
    };
  }
  const match = AUTHORIZATION.exec(header);
  const amzDate = req.headers['x-amz-date'];
  if (match === null || typeof amzDate !== 'string') {
    return {
      ok: false,
      denial: {
        statusCode: 400,
        errorType: 'IncompleteSignatureException',
        message: 'Authorization header requires a SigV4 Credential, SignedHeaders and Signature.',
      },
    };
  }
  const [, accessKeyId = '', , region = '', service = '', signedHeaderList = '', signature = ''] = match;
  const secretAccessKey = secretFor(accessKeyId);
  if (secretAccessKey === undefined) {
    return {
      ok: false,
      denial: {
        statusCode: 403,
        errorType: 'UnrecognizedClientException',
        message: 'The security token included in the request is invalid.',
      },
    };
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const previous = query[name];
    query[name] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaderList.split(';')) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({
    service,
    region,
    credentials: { accessKeyId, secretAccessKey },
    sha256: NodeSha256,
    uriEscapePath: service !== 's3',
    // Exactly the headers the caller signed: x-amz-content-sha256 only when it sent one (S3 requires
    // it, other services do not), rather than one the signer would add.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: (req.headers.host ?? '').replace(/:\d+$/, ''),
      path: url.pathname,
      query,
      headers,
      body,
    },
    { signingDate: parseAmzDate(amzDate) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  if (
    expected.length !== signature.length ||
    !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))
  ) {
    return {
      ok: false,
      denial: {
        statusCode: 403,
        errorType: 'InvalidSignatureException',
        message: 'The request signature we calculated does not match the signature you provided.',
      },
    };
  }
  return { ok: true, accessKeyId };
}

/** `20261129T131900Z` */
function parseAmzDate(value: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return new Date(Number.NaN);
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0));
}
