import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, HttpRequest, Provider } from '@smithy/types';

export interface SignedFetchOptions {
  /** The signing name: `s3`, `execute-api`, `lambda`. */
  readonly service: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
  /** Where the service is reached; a custom endpoint (the local runtime's) replaces AWS's. */
  readonly endpoint: string;
  /** S3 alone signs the path as sent, without escaping it a second time. */
  readonly s3?: boolean;
}

/**
 * A service's refusal, named as the SDK names it (from `x-amzn-ErrorType` or the JSON body's
 * `__type`), so callers tell errors apart by `name` as they did with SDK v3 clients.
 * https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization
 */
export class AwsServiceError extends Error {
  constructor(
    name: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

/** What the SDK's standard retry mode retries: throttling and transient server errors. */
const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const MAX_ATTEMPTS = 3;
const BASE_DELAY_MS = 100;

/**
 * AWS REST calls signed with the SDK's own SigV4 signer and sent with `fetch`, in place of a service's
 * SDK client: a client brings its protocol, endpoint rules and middleware (10-100 KB of a bundle, and
 * most of a call's CPU) to make a request that is one URL, a few headers and a body. Like the SDK's
 * standard retry mode it retries throttling and transient failures, at most three attempts with full
 * jitter (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
 */
export class SignedFetch {
  readonly region: string;
  readonly endpoint: URL;
  /** The caller's credentials, as the signer resolves them. */
  readonly credentials: Provider<AwsCredentialIdentity>;
  private readonly signer: SignatureV4;

  constructor(options: SignedFetchOptions) {
    this.region = options.region;
    this.endpoint = new URL(options.endpoint);
    const { credentials } = options;
    this.credentials = typeof credentials === 'function' ? credentials : async () => credentials;
    this.signer = new SignatureV4({
      service: options.service,
      region: options.region,
      credentials: this.credentials,
      sha256: Hash.bind(null, 'sha256'),
      uriEscapePath: !options.s3,
      applyChecksum: Boolean(options.s3),
    });
  }

  /** A request to `path` under the endpoint (whose own path, a stage for instance, is kept). */
  request(
    method: string,
    path: string,
    init: {
      headers?: Record<string, string>;
      query?: Record<string, string>;
      body?: Uint8Array<ArrayBuffer>;
    } = {},
  ): HttpRequest {
    const base = this.endpoint;
    return {
      method,
      protocol: base.protocol,
      hostname: base.hostname,
      ...(base.port === '' ? {} : { port: Number(base.port) }),
      path: `${base.pathname.replace(/\/$/, '')}${path}`,
      query: init.query ?? {},
      headers: { ...init.headers, host: base.host },
      ...(init.body === undefined ? {} : { body: init.body }),
    };
  }

  /** Signs a request to send now, with the credentials in its headers. */
  sign(request: HttpRequest): Promise<HttpRequest> {
    return this.signer.sign(request);
  }

  /** A presigned (query-string authenticated) copy of the request, valid for `expiresInSeconds`. */
  presign(
    request: HttpRequest,
    expiresInSeconds: number,
    unsignableHeaders: Set<string>,
  ): Promise<HttpRequest> {
    return this.signer.presign(request, { expiresIn: expiresInSeconds, unsignableHeaders });
  }

  /** The hex SigV4 signature of a string (an S3 POST policy), with the key of `signingDate`. */
  signString(text: string, signingDate: Date): Promise<string> {
    return this.signer.sign(text, { signingDate });
  }

  /** Signs and sends; any answer is returned, and only a transient failure is retried. */
  async send(request: HttpRequest, signal?: AbortSignal): Promise<Response> {
    const signed = await this.sign(request);
    const init: RequestInit = {
      method: signed.method,
      headers: signed.headers,
      ...(signed.body === undefined ? {} : { body: signed.body as Uint8Array<ArrayBuffer> }),
      ...(signal === undefined ? {} : { signal }),
    };
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= MAX_ATTEMPTS;
      try {
        const response = await fetch(urlOf(signed), init);
        if (last || !RETRYABLE_STATUS.has(response.status)) return response;
        await response.body?.cancel();
      } catch (error) {
        // fetch rejects with a TypeError when the connection fails; an abort is the caller's decision.
        if (last || signal?.aborted || !(error instanceof TypeError)) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * BASE_DELAY_MS * 2 ** attempt));
    }
  }

  /** Reads an answer to its end (so its connection is reused), and throws the service's error unless it succeeded. */
  async ensureOk(response: Response): Promise<void> {
    const text = await response.text();
    if (!response.ok) throw serviceErrorOf(response, text);
  }
}

function serviceErrorOf(response: Response, text: string): AwsServiceError {
  let body: { __type?: unknown; code?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // Not JSON: the status and the header still name the error.
  }
  const type =
    response.headers.get('x-amzn-errortype') ??
    (typeof body.__type === 'string' ? body.__type : undefined) ??
    (typeof body.code === 'string' ? body.code : undefined);
  // `x-amzn-ErrorType` may carry a URI after a colon, `__type` a namespace before a '#'.
  const name = type?.split(':')[0]?.split('#').at(-1) || `Http${response.status}Error`;
  const message = body.message ?? body.Message;
  return new AwsServiceError(
    name,
    response.status,
    typeof message === 'string' ? message : text.slice(0, 500),
  );
}

/** The URL of a (signed) request, its query included. */
export function urlOf(request: HttpRequest): string {
  const url = new URL(`${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}`);
  url.pathname = request.path;
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value])
      if (item !== null) url.searchParams.append(name, item);
  }
  return url.toString();
}

/**
 * A service's endpoint: the one configured for it or for all services (AWS_ENDPOINT_URL_<SERVICE>,
 * AWS_ENDPOINT_URL, as the SDK reads them: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html),
 * else AWS's regional one.
 */
export function serviceEndpoint(envName: string, awsEndpoint: string): string {
  return process.env[`AWS_ENDPOINT_URL_${envName}`] || process.env.AWS_ENDPOINT_URL || awsEndpoint;
}
