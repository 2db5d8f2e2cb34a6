import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { Hash } from '@smithy/core/serde';
import { getSigningKey } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';

/**
 * What S3 checks and s3rver does not: s3rver verifies no signature, no POST policy condition and no
 * POST expiry. This layer stands in front of it, refuses what S3 would refuse, with S3's status codes
 * and XML error bodies, and passes the rest through:
 * - browser-based uploads (POST with a policy): the signature over the policy, the policy's expiry,
 *   every condition (exact match, `eq`, `starts-with`, `content-length-range`) and no form field left
 *   out of the conditions (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html,
 *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-post-example.html);
 * - presigned URLs (query-string authentication): the signature and the expiry
 *   (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html);
 * - anonymous requests other than CORS preflights: refused, as by a private bucket.
 * Requests signed in the Authorization header (the SDK's, from the handlers) are passed through with
 * their access key checked but not their signature.
 */

/** One request that reached s3rver, as S3 would bill it (the benchmark counts them). */
export interface S3RequestEvent {
  /** `PostObject`, `CopyObject`, `HeadObject`, `GetObject`, … and `presigned` for query-signed ones. */
  operation: string;
  status: number;
  /** Bytes of the response body: what a download transfers out. */
  bytesOut: number;
}

export interface S3GuardOptions {
  /** The s3rver endpoint to forward accepted requests to. */
  upstream: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  port?: number;
  now?: () => number;
  onRequest?: (event: S3RequestEvent) => void;
}

export interface S3Guard {
  endpoint: string;
  stop(): Promise<void>;
}

class S3Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const denied = (message: string) => new S3Refusal(403, 'AccessDenied', message);
const policyFailure = (detail: string) => denied(`Invalid according to Policy: ${detail}`);

const sha256 = Hash.bind(null, 'sha256');

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `20261129T120000Z` as epoch milliseconds. */
function parseAmzDate(value: string): number {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) throw new S3Refusal(400, 'AuthorizationQueryParametersError', `Invalid date ${value}`);
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
}

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

type Condition = Record<string, unknown> | unknown[];

export async function startS3Guard(options: S3GuardOptions): Promise<S3Guard> {
  const now = options.now ?? Date.now;
  const upstream = new URL(options.upstream);
  const presigner = new S3RequestPresigner({
    credentials: options.credentials,
    region: options.region,
    sha256,
  });

  function checkAccessKey(credential: string): { shortDate: string; region: string } {
    const [accessKeyId, shortDate, region, service, terminator] = credential.split('/');
    if (accessKeyId !== options.credentials.accessKeyId) {
      throw new S3Refusal(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      );
    }
    if (!shortDate || !region || service !== 's3' || terminator !== 'aws4_request') {
      throw new S3Refusal(400, 'AuthorizationQueryParametersError', `Malformed credential ${credential}`);
    }
    return { shortDate, region };
  }

  /** A browser-based upload: the form's signature, its policy's expiry and every condition. */
  async function checkPost(bucket: string, contentType: string, body: Buffer): Promise<void> {
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    const fields = new Map<string, string>();
    let fileSize: number | undefined;
    for (const [name, value] of form) {
      if (typeof value === 'string') fields.set(name.toLowerCase(), value);
      else if (name === 'file') fileSize = value.size;
    }
    const field = (name: string) => fields.get(name.toLowerCase());
    const policy = field('policy');
    const signature = field('x-amz-signature');
    const credential = field('x-amz-credential');
    if (!policy || !signature || !credential || field('x-amz-algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3Refusal(
        400,
        'InvalidArgument',
        'POST requires Policy, X-Amz-Signature and X-Amz-Credential',
      );
    }
    if (fileSize === undefined) throw new S3Refusal(400, 'InvalidArgument', 'POST requires exactly one file');
    const { shortDate, region } = checkAccessKey(credential);
    const key = await getSigningKey(sha256, options.credentials, shortDate, region, 's3');
    const expected = createHmac('sha256', key).update(policy).digest('hex');
    if (!sameText(expected, signature)) {
      throw new S3Refusal(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }

    const document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8')) as {
      expiration?: string;
      conditions?: Condition[];
    };
    if (!document.expiration || Date.parse(document.expiration) < now()) {
      throw policyFailure('Policy expired.');
    }
    const formValue = (name: string) => (name === 'bucket' ? bucket : field(name));
    const covered = new Set<string>();
    for (const condition of document.conditions ?? []) {
      if (!Array.isArray(condition)) {
        for (const [name, value] of Object.entries(condition)) {
          covered.add(name.toLowerCase());
          if (formValue(name.toLowerCase()) !== value) {
            throw policyFailure(`Policy Condition failed: ["eq", "$${name}", "${String(value)}"]`);
          }
        }
        continue;
      }
      const [operator, target, value] = condition;
      if (operator === 'content-length-range') {
        const [min, max] = [Number(target), Number(value)];
        if (fileSize > max) {
          throw new S3Refusal(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
        }
        if (fileSize < min) {
          throw new S3Refusal(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
          );
        }
        continue;
      }
      const name = String(target).replace(/^\$/, '').toLowerCase();
      covered.add(name);
      const actual = formValue(name) ?? '';
      const holds =
        operator === 'eq' ? actual === value : operator === 'starts-with' && actual.startsWith(String(value));
      if (!holds) throw policyFailure(`Policy Condition failed: ${JSON.stringify(condition)}`);
    }
    // Every field must be named by a condition, except these and x-ignore-* (the policy page's rule).
    for (const name of fields.keys()) {
      if (['policy', 'x-amz-signature', 'file'].includes(name) || name.startsWith('x-ignore-')) continue;
      if (!covered.has(name)) throw policyFailure(`Extra input fields: ${name}`);
    }
  }

  /** A presigned URL: recomputed with the SDK's own S3 presigner for the same date and lifetime. */
  async function checkPresigned(req: IncomingMessage, url: URL): Promise<void> {
    const params = url.searchParams;
    const signature = params.get('X-Amz-Signature') ?? '';
    checkAccessKey(params.get('X-Amz-Credential') ?? '');
    const signedAt = parseAmzDate(params.get('X-Amz-Date') ?? '');
    const expiresIn = Number(params.get('X-Amz-Expires'));
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
      throw new S3Refusal(400, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be 1..604800');
    }
    if (now() > signedAt + expiresIn * 1000) throw denied('Request has expired');
    const query: Record<string, string> = {};
    for (const [name, value] of params) {
      if (!name.toLowerCase().startsWith('x-amz-')) query[name] = value;
    }
    const unsigned: HttpRequest = {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: { host: req.headers.host ?? url.host },
    };
    const signed = await presigner.presign(unsigned, { signingDate: new Date(signedAt), expiresIn });
    const expected = signed.query?.['X-Amz-Signature'];
    if (typeof expected !== 'string' || !sameText(expected, signature)) {
      throw new S3Refusal(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided.',
      );
    }
  }

  function operationOf(req: IncomingMessage, url: URL): string {
    const presigned = url.searchParams.has('X-Amz-Signature') ? ' presigned' : '';
    const method = req.method ?? 'GET';
    const name =
      method === 'POST' && !url.search
        ? 'PostObject'
        : method === 'PUT' && req.headers['x-amz-copy-source']
          ? 'CopyObject'
          : ({ GET: 'GetObject', HEAD: 'HeadObject', PUT: 'PutObject', DELETE: 'DeleteObject' }[method] ??
            method);
    return `${name}${presigned}`;
  }

  function forward(req: IncomingMessage, res: ServerResponse, body?: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://s3');
    const proxied = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: body ? { ...req.headers, 'content-length': String(body.length) } : req.headers,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        res.writeHead(status, answer.headers);
        answer.pipe(res);
        if (req.method !== 'OPTIONS') {
          const bytesOut = Number(answer.headers['content-length'] ?? 0);
          answer.on('end', () => options.onRequest?.({ operation: operationOf(req, url), status, bytesOut }));
        }
      },
    );
    proxied.on('error', (error) => {
      res.writeHead(502).end(String(error));
    });
    if (body) proxied.end(body);
    else req.pipe(proxied);
  }

  function refuse(req: IncomingMessage, res: ServerResponse, refusal: S3Refusal): void {
    const requestId = randomUUID();
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${refusal.code}</Code><Message>${refusal.message.replace(/[<&>]/g, '')}</Message><RequestId>${requestId}</RequestId></Error>`;
    // S3 answers with the matching CORS rule's headers on errors too, so a browser can read them.
    const origin = req.headers.origin;
    res.writeHead(refusal.status, {
      'content-type': 'application/xml',
      'x-amz-request-id': requestId,
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
    });
    res.end(xml);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const contentType = req.headers['content-type'] ?? '';
    try {
      if (req.method === 'OPTIONS') return forward(req, res);
      if (req.method === 'POST' && contentType.startsWith('multipart/form-data')) {
        const body = await readBody(req);
        const bucket = url.pathname.split('/')[1] ?? '';
        await checkPost(bucket, contentType, body);
        return forward(req, res, body);
      }
      if (url.searchParams.has('X-Amz-Signature')) {
        await checkPresigned(req, url);
        return forward(req, res);
      }
      const authorization = req.headers.authorization;
      if (!authorization) throw denied('Access Denied');
      checkAccessKey(/Credential=([^,]+)/.exec(authorization)?.[1] ?? '');
      return forward(req, res);
    } catch (error) {
      if (error instanceof S3Refusal) return refuse(req, res, error);
      if (error instanceof SyntaxError || error instanceof TypeError) {
        return refuse(
          req,
          res,
          new S3Refusal(
            400,
            'MalformedPOSTRequest',
            'The body of your POST request is not well-formed multipart/form-data.',
          ),
        );
      }
      throw error;
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
